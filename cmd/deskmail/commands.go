package main

// commands is the table of subcommands. Each command lives in its own file;
// add one line here for a new command.
var commands = []*command{
	addressCommand,
	relayCommand,
	bounceCommand,
	spfCommand,
	forwardCommand,
	threadCommand, subjectCommand,
	dkimCommand, dmarcCommand,
	inboundCommand,
}
