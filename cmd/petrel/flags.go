package main

import (
	"errors"
	"flag"
	"io"
)

// options are the flags of a command.
type options struct {
	config        string // --config FILE
	passwordStdin bool   // --password-stdin
}

// parseArgs parses the flags of command name, which may come before, after
// or between the positional arguments ("--" ends the flags). withPassword
// enables --password-stdin. A flag set is built per call.
func parseArgs(name string, args []string, withPassword bool) (options, []string, error) {
	var opts options
	fs := flag.NewFlagSet("petrel "+name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&opts.config, "config", "", "configuration file")
	if withPassword {
		fs.BoolVar(&opts.passwordStdin, "password-stdin", false, "read the password from standard input")
	}
	var pos []string
	for {
		err := fs.Parse(args)
		if errors.Is(err, flag.ErrHelp) {
			return opts, nil, helpRequested(name)
		}
		if err != nil {
			return opts, nil, usageErrorf("%s: %v", name, err)
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return opts, pos, nil
		}
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			return opts, append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}
