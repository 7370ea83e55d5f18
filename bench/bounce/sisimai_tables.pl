#!/usr/bin/perl
# sisimai_tables.pl: reports built from the tables of Perl Sisimai (Debian
# libsisimai-perl), for TestPhraseOracle. Sisimai keeps, per reason, the
# wording MTAs write (Sisimai::Reason::*, the "$index" lists) and, per
# provider, the codes and texts of its replies (Sisimai::Rhost::*). This
# script reads those tables from the installed modules and writes one
# RFC 3464 report per entry into OUTDIR: the entry's text as the
# Diagnostic-Code under a generic 550 (450 for 4.x.x), from the provider's
# host for provider entries. Then it parses each report with Sisimai and
# prints one TSV row per report:
#
#   perl sisimai_tables.pl OUTDIR
#   file <TAB> table <TAB> table_reason <TAB> sisimai_reason
#
# The reports hold Sisimai's wording only while the test runs: nothing of
# them is kept in this repository.
use strict;
use warnings;

my $out = shift or die "usage: sisimai_tables.pl OUTDIR\n";
unless (eval { require Sisimai; 1 }) {
    my $err = $@;
    $err =~ s/\s+/ /g;
    print "nosisimai $err\n";
    exit 0;
}
(my $base = $INC{'Sisimai.pm'}) =~ s/\.pm$//;
-d $out or mkdir $out or die "$out: $!\n";

my @rows;
my $n = 0;

sub mail {
    my ($table, $reason, $host, $status, $diag) = @_;
    $n++;
    my $name = sprintf "%s/%04d.eml", $out, $n;
    my $code = $status =~ /^4/ ? '450' : '550';
    $diag = "$code $diag" unless $diag =~ /^\d{3}\b/;
    open my $o, '>', $name or die "$name: $!\n";
    print $o <<"MAIL";
Return-Path: <>
From: Mail Delivery System <MAILER-DAEMON\@mx.example.net>
To: sender\@example.org
Subject: Undelivered Mail Returned to Sender
Date: Mon, 1 Feb 2021 10:00:00 +0000
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="b1"
Auto-Submitted: auto-replied

--b1
Content-Type: text/plain

This is the mail system at host mx.example.net.

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients.

<user\@example.com>: host $host\[192.0.2.1] said: $diag
    (in reply to RCPT TO command)

--b1
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.net
Arrival-Date: Mon, 1 Feb 2021 09:59:00 +0000

Final-Recipient: rfc822; user\@example.com
Action: failed
Status: $status
Remote-MTA: dns; $host
Diagnostic-Code: smtp; $diag

--b1
Content-Type: message/rfc822

From: sender\@example.org
To: user\@example.com
Subject: hello
Message-ID: <t$n\@example.org>

hello
--b1--
MAIL
    close $o;
    push @rows, [$name, $table, $reason];
}

sub src {
    my $path = "$base/$_[0].pm";
    open my $fh, '<', $path or return '';
    local $/;
    return scalar <$fh>;
}
sub block { my ($s, $name) = @_; $s =~ /state \$$name = \{(.*?)\n    \};/s ? $1 : '' }
sub quoted { defined $_[0] ? $_[0] : $_[1] }

# Sisimai::Reason::*: the "$index" list of each reason.
opendir my $dh, "$base/Reason" or die "$base/Reason: $!\n";
for my $f (sort grep { /\.pm$/ } readdir $dh) {
    (my $mod = $f) =~ s/\.pm$//;
    my $s = src("Reason/$mod");
    my ($reason) = $s =~ /sub text\s*\{\s*'(\w+)'/;
    next unless $reason && $s =~ /state \$index = \[(.*?)\];/s;
    my $list = $1;
    while ($list =~ /(?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)")/g) {
        my $p = quoted($1, $2);
        $p =~ s/\\(.)/$1/g;
        mail('reason', $reason, 'mx.example.com', '5.0.0', $p) if length $p >= 4;
    }
}
closedir $dh;

# Sisimai::Reason::*: the "$regex" of each reason, one sample text per
# alternative (see expand below).
opendir $dh, "$base/Reason" or die "$base/Reason: $!\n";
for my $f (sort grep { /\.pm$/ } readdir $dh) {
    (my $mod = $f) =~ s/\.pm$//;
    my $s = src("Reason/$mod");
    my ($reason) = $s =~ /sub text\s*\{\s*'(\w+)'/;
    next unless $reason && $s =~ /state \$regex = qr\{(.*?)\}x;/s;
    my $re = $1;
    $re =~ s/#[^\n]*//g;     # comments of /x
    $re =~ s{\[([^\]]*)\]}{ (my $c = $1) =~ s/ /\x01/g; "[$c]" }ge;   # spaces in classes are literal
    $re =~ s/\s+//g;         # /x white space
    my $pos = 0;
    for my $t (expand(\$re, \$pos)) {
        $t =~ tr/\x01/ /;
        $t =~ s/^\s+|\s+$//g;
        mail('regex', $reason, 'mx.example.com', '5.0.0', $t) if length $t >= 6;
    }
}
closedir $dh;

# expand returns sample texts of the regular expression at $$pos (the
# subset Sisimai's tables use: literals, escapes, [classes], (?:...|...),
# (?>...), ?, *, +, {n,m}): every alternative of every group once, the
# rest of the expression at its first alternative.
sub expand {
    my ($re, $pos) = @_;
    my @alts = ([""]);
    while ($$pos < length $$re) {
        my $c = substr $$re, $$pos, 1;
        if ($c eq '|') { $$pos++; push @alts, [""]; next }
        if ($c eq ')') { last }
        my @item;
        if ($c eq '(') {
            $$pos++;
            $$pos += 2 if substr($$re, $$pos, 1) eq '?';   # (?: (?>
            @item = expand($re, $pos);
            $$pos++;                                      # )
        } elsif ($c eq '[') {
            my $end = index $$re, ']', $$pos + 2;
            die "unclosed class at $$pos\n" if $end < 0;
            my $cls = substr $$re, $$pos + 1, $end - $$pos - 1;
            $$pos = $end + 1;
            @item = ($cls =~ /^\^/ ? 'x' : $cls =~ /^0-9/ ? '1' : $cls =~ /^a-z/ ? 'a' : substr($cls, 0, 1));
        } elsif ($c eq '\\') {
            my $e = substr $$re, $$pos + 1, 1;
            $$pos += 2;
            @item = ($e eq 'd' ? '1' : $e eq 's' ? ' ' : $e eq 'w' ? 'a' : $e eq 'A' || $e eq 'z' || $e eq 'b' ? '' : $e);
        } elsif ($c eq '.') { $$pos++; @item = ('x') }
        elsif ($c eq '^' || $c eq '$') { $$pos++; @item = ('') }
        else { $$pos++; @item = ($c) }
        my $q = substr $$re, $$pos, 1;
        if ($q eq '?' || $q eq '*') { $$pos++; @item = ('', @item) if $q eq '*'; @item = ($item[0]) if $q eq '*' }
        elsif ($q eq '+') { $$pos++ }
        elsif ($q eq '{') { my $end = index $$re, '}', $$pos; die "unclosed count at $$pos\n" if $end < 0; my ($n) = substr($$re, $$pos + 1) =~ /^(\d+)/; $$pos = $end + 1; @item = map { $_ x ($n || 1) } @item }
        $$pos++ if substr($$re, $$pos, 1) eq '?';    # lazy
        my $cur = $alts[-1];
        my $first = $cur->[0];
        @$cur = ((map { $_ . $item[0] } @$cur), (map { $first . $_ } @item[1 .. $#item]));
    }
    return map { @$_ } @alts;
}

# Sisimai::Rhost::ExchangeOnline: reason => [[status, low, high, text], ...]
{
    my $b = block(src('Rhost/ExchangeOnline'), 'messagesof');
    while ($b =~ /'(\w+)' => \[(.*?)\n        \],/sg) {
        my ($r, $l) = ($1, $2);
        while ($l =~ /\['([\d.]+)',\s*(\d+),\s*(\d+),\s*(?:'((?:[^'\\]|\\.)*)'|"([^"]*)")\]/g) {
            my ($st, $lo, $t) = ($1, $2, quoted($4, $5));
            $st .= $lo if $st =~ /\.$/;
            mail('exchangeonline', $r, 'mail.protection.outlook.com', $st, "$st $t");
        }
    }
}
# Sisimai::Rhost::GoogleApps: reason => [[code, status, text], ...]
{
    my $b = block(src('Rhost/GoogleApps'), 'messagesof');
    while ($b =~ /'(\w+)' => \[(.*?)\n        \],/sg) {
        my ($r, $l) = ($1, $2);
        while ($l =~ /\['(\d+)',\s*'([\d.]+)',\s*(?:'((?:[^'\\]|\\.)*)'|"([^"]*)")\]/g) {
            my ($c, $st, $t) = ($1, $2, quoted($3, $4));
            mail('google', $r, 'aspmx.l.google.com', $st, "$c $st $t");
        }
    }
}
# Sisimai::Rhost::Mimecast: reason => [[code, text], ...]
{
    my $b = block(src('Rhost/Mimecast'), 'messagesof');
    while ($b =~ /'(\w+)' => \[(.*?)\n        \],/sg) {
        my ($r, $l) = ($1, $2);
        while ($l =~ /\[(\d+),\s*(?:'((?:[^'\\]|\\.)*)'|"([^"]*)")\]/g) {
            my ($c, $t) = ($1, quoted($2, $3));
            mail('mimecast', $r, 'service.mimecast.com', $c =~ /^4/ ? '4.0.0' : '5.0.0', "$c $t");
        }
    }
}
# Sisimai::Rhost::TencentQQ: text => reason
{
    my $b = block(src('Rhost/TencentQQ'), 'messagesof');
    while ($b =~ /'([^']+)'\s*=>\s*'(\w+)'/g) {
        my ($t, $r) = ($1, $2);
        mail('tencent', $r, 'mx3.qq.com', '5.0.0', "550 $t");
    }
}
# Cox, GoDaddy, IUA: code => reason, with the provider's message from the
# comment beside it when there is one.
for my $m (['Cox', 'cxr.mx.a.cox.net', sub { "AUP#$_[0]" }],
           ['GoDaddy', 'smtp.secureserver.net', sub { $_[0] }],
           ['IUA', 'mx.i.ua', sub { "http://mail.i.ua/err/$_[0]" }]) {
    my ($mod, $host, $fmt) = @$m;
    my $b = block(src("Rhost/$mod"), 'errorcodes');
    while ($b =~ /'(\w+)'\s*=>\s*'(\w+)',?[ \t]*(?:#[ \t]*(.*))?/g) {
        my ($c, $r, $t) = ($1, $2, $3 // '');
        $t =~ s/\s+$//;
        my $d = $t =~ /\Q$c\E/ ? $t : "$t " . $fmt->($c);
        $d =~ s/^\s+//;
        mail(lc $mod, $r, $host, $d =~ /^4/ ? '4.0.0' : '5.0.0', $d);
    }
}

# Sisimai::Lhost::*: the wording of one MTA's reports, reason => [text, ...]
# (regular expressions are left out), under the table name "mta".
opendir $dh, "$base/Lhost" or die "$base/Lhost: $!\n";
for my $f (sort grep { /\.pm$/ } readdir $dh) {
    (my $mod = $f) =~ s/\.pm$//;
    my $b = block(src("Lhost/$mod"), 'messagesof') || block(src("Lhost/$mod"), 'MessagesOf');
    while ($b =~ /'(\w+)'\s*=>\s*\[(.*?)\],?\s*\n/sg) {
        my ($r, $l) = ($1, $2);
        next unless $r =~ /\A[a-z]+\z/;
        $l =~ s/#[^\n]*//g;
        while ($l =~ /(?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)")/g) {
            my $t = quoted($1, $2);
            $t =~ s/\\(.)/$1/g;
            mail('mta', $r, 'mx.example.com', '5.0.0', $t) if length $t >= 6;
        }
    }
}
closedir $dh;

print "# file\ttable\ttable_reason\tsisimai_reason\n";
for my $row (@rows) {
    my $text = do { open my $fh, '<', $row->[0] or die; local $/; <$fh> };
    my $got = Sisimai->make(\$text) // [];
    my $reason = @$got ? $got->[0]->reason : 'NONE';
    print join("\t", @$row, $reason), "\n";
}
