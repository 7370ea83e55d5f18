#!/usr/bin/perl
# sisimai_oracle.pl: Sisimai (the Perl implementation, Debian
# libsisimai-perl) as an oracle and as a benchmark peer for deskmail's
# bounce parser. Every mail is read into memory first and parsed from there
# with Sisimai->make(\$text), in both modes.
#
# Oracle mode: one TSV row per recipient Sisimai finds, after a "#" header:
#
#   perl sisimai_oracle.pl FILE...        (or file names on stdin, one a line)
#   file <TAB> recipient <TAB> reason <TAB> deliverystatus <TAB> softbounce
#   file <TAB> - <TAB> NONE                (Sisimai finds no bounce)
#
# Serve mode (bench/bounce BenchmarkSisimaiPerl drives it over a pipe):
#
#   perl sisimai_oracle.pl -serve FILE...
#
# loads Sisimai and the mails, parses every mail once (so the timed runs
# do not pay for loading Sisimai's modules), then prints
# "ready MAILS RESULTS". Each request line "parse N" parses mails 0..N-1
# (modulo the corpus size) and is answered "done CPU_NS RESULTS": the CPU
# time (user + system) of this process around the parse loop only, so the
# pipe costs nothing, and the number of records Sisimai returned. A missing
# Sisimai is reported as one line "nosisimai MESSAGE" (exit status 0).
use strict;
use warnings;

my $serve = @ARGV && $ARGV[0] eq '-serve';
shift @ARGV if $serve;
$| = 1;

unless (eval { require Sisimai; 1 }) {
    my $err = $@;
    $err =~ s/\s+/ /g;
    if ($serve) { print "nosisimai $err\n"; exit 0 }
    die "sisimai_oracle.pl: cannot load Sisimai (Debian: libsisimai-perl): $err\n";
}

my @files = @ARGV;
if (!@files && !$serve) {
    while (my $l = <STDIN>) { chomp $l; push @files, $l if length $l }
}

my $failed = 0;
my (@names, @mails, $clock);
for my $f (@files) {
    my $text = slurp($f);
    unless (defined $text) { warn "sisimai_oracle.pl: $f: $!\n"; $failed = 1; next }
    push @names, $f;
    push @mails, $text;
}

$serve ? serve() : oracle();
exit $failed;

sub slurp {
    my ($path) = @_;
    open(my $fh, '<:raw', $path) or return undef;
    local $/;
    my $text = <$fh>;
    close $fh;
    return $text // '';
}

# parse is the one call both modes time or print: Sisimai->make on the
# mail in memory, which yields the recipient, reason and status records.
sub parse {
    my ($i) = @_;
    return Sisimai->make(\$mails[$i]) // [];
}

sub field {
    my ($v) = @_;
    $v = '' unless defined $v;
    $v =~ s/[\t\r\n]+/ /g;
    return $v;
}

sub oracle {
    print "# file\trecipient\treason\tdeliverystatus\tsoftbounce\n";
    for my $i (0 .. $#mails) {
        my $rows = parse($i);
        unless (@$rows) { print field($names[$i]), "\t-\tNONE\n"; next }
        for my $d (@$rows) {
            my $rcpt = $d->recipient ? $d->recipient->address : '';
            print join("\t", map { field($_) } $names[$i], $rcpt, $d->reason,
                $d->deliverystatus, $d->softbounce), "\n";
        }
    }
}

# cpu returns the CPU time this process has used, in nanoseconds.
sub cpu {
    unless (defined $clock) {
        $clock = eval {
            require Time::HiRes;
            my $id = Time::HiRes::CLOCK_PROCESS_CPUTIME_ID();
            Time::HiRes::clock_gettime($id) > 0 ? sub { Time::HiRes::clock_gettime($id) } : undef;
        } || sub { my ($u, $s) = times(); $u + $s };
    }
    return int($clock->() * 1e9);
}

sub serve {
    my $results = 0;
    $results += scalar @{ parse($_) } for 0 .. $#mails;
    print "ready ", scalar(@mails), " $results\n";
    while (my $req = <STDIN>) {
        my ($n) = $req =~ /^parse (\d+)$/ or do { print "error bad request\n"; next };
        my ($got, $m) = (0, scalar @mails);
        if (!$m) { print "error no mails\n"; next }
        my $start = cpu();
        $got += scalar @{ parse($_ % $m) } for 0 .. $n - 1;
        my $used = cpu() - $start;
        print "done $used $got\n";
    }
}
