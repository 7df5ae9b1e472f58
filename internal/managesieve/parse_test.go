package managesieve

import (
	"bufio"
	"errors"
	"io"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

func parseAll(input string, lim Limits) ([]Command, []error) {
	p := parser{r: bufio.NewReaderSize(strings.NewReader(input), 64), lim: lim}
	var cmds []Command
	var errs []error
	for range 100 {
		c, err := p.readCommand()
		if errors.Is(err, io.EOF) {
			break
		}
		cmds, errs = append(cmds, c), append(errs, err)
		if err != nil && !errors.Is(err, errSyntax) {
			break
		}
	}
	return cmds, errs
}

var testLimits = Limits{MaxLine: 200, MaxLiteral: 100}

// The forms of RFC 5804 §4: quoted strings with their two escapes,
// literals {N+} and {N} (CRLFs inside kept), numbers, names in any case;
// malformed commands are skipped whole, literals included.
func TestParse(t *testing.T) {
	s := func(v string) Arg { return Arg{Str: v} }
	for _, c := range []struct {
		in   string
		want []Command
		errs []error
	}{
		{"capability\r\n", []Command{{Name: "CAPABILITY"}}, []error{nil}},
		{`PUTSCRIPT "a \"b\" \\" {6+}` + "\r\nx\r\ny\r\n\r\n",
			[]Command{{Name: "PUTSCRIPT", Args: []Arg{s(`a "b" \`), s("x\r\ny\r\n")}}}, []error{nil}},
		{"CHECKSCRIPT {3}\r\nabc\r\nNOOP\n", []Command{{Name: "CHECKSCRIPT", Args: []Arg{s("abc")}}, {Name: "NOOP"}}, []error{nil, nil}},
		{`HAVESPACE "x" 4294967295` + "\r\n", []Command{{Name: "HAVESPACE", Args: []Arg{s("x"), {IsNumber: true, Num: 4294967295}}}}, []error{nil}},
		{`RENAMESCRIPT {1+}` + "\r\na {1+}\r\nb\r\n", []Command{{Name: "RENAMESCRIPT", Args: []Arg{s("a"), s("b")}}}, []error{nil}},
		{`HAVESPACE "x" 4294967296` + "\r\nNOOP\r\n", []Command{{}, {Name: "NOOP"}}, []error{errSyntax, nil}},
		{`NOOP "a\x"` + "\r\nNOOP\r\n", []Command{{}, {Name: "NOOP"}}, []error{errSyntax, nil}},
		{`NOOP "open` + "\r\nNOOP\r\n", []Command{{}, {Name: "NOOP"}}, []error{errSyntax, nil}},
		{`NOOP "a""b"` + "\r\nNOOP\r\n", []Command{{}, {Name: "NOOP"}}, []error{errSyntax, nil}},
		{`NOOP atom {8+}` + "\r\nLOGOUT\r\n\r\nNOOP\r\n", []Command{{}, {Name: "NOOP"}}, []error{errSyntax, nil}},
		{`NOOP {3+}` + "\r\nabcjunk\r\nNOOP\r\n", []Command{{}, {Name: "NOOP"}}, []error{errSyntax, nil}},
		{"N0OP\r\n\r\nNOOP\r\n", []Command{{}, {}, {Name: "NOOP"}}, []error{errSyntax, errSyntax, nil}},
		{`NOOP {101+}` + "\r\n", []Command{{}}, []error{errLiteralTooLarge}},
		{`NOOP "` + strings.Repeat("x", 300) + "\"\r\n", []Command{{}}, []error{errLineTooLong}},
		{`NOOP {10+}` + "\r\nabc", []Command{{}}, []error{io.ErrUnexpectedEOF}},
	} {
		cmds, errs := parseAll(c.in, testLimits)
		if !reflect.DeepEqual(cmds, c.want) || !reflect.DeepEqual(errs, c.errs) {
			t.Errorf("%q:\n got %+v %v\nwant %+v %v", c.in, cmds, errs, c.want, c.errs)
		}
	}
}

// encodeString's quoted strings and literals parse back to the string.
func TestEncodeString(t *testing.T) {
	for _, v := range []string{"", "plain", `q"uo\te`, "two\r\nlines", "nul\x00", "\xff", strings.Repeat("x", 1025)} {
		enc := encodeString(v)
		cmds, errs := parseAll("X "+strings.Replace(enc, "}\r\n", "+}\r\n", 1)+"\r\n", Limits{MaxLine: 2000, MaxLiteral: 2000})
		if len(cmds) != 1 || errs[0] != nil || len(cmds[0].Args) != 1 || cmds[0].Args[0].Str != v {
			t.Errorf("%q encoded as %q parses as %+v %v", v, enc, cmds, errs)
		}
	}
}

// FuzzParse feeds the command parser arbitrary input: it must never
// panic, never return a string longer than the bounds allow, and every
// command it accepts must encode and parse back to itself.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"CAPABILITY\r\n", `PUTSCRIPT "a" {5+}` + "\r\nkeep;\r\n", `HAVESPACE "x" 12` + "\r\n",
		`AUTHENTICATE "PLAIN" "AGFAYg=="` + "\r\n", `NOOP "\\\""` + "\r\n", "X {2}\r\nab {0+}\r\n\r\n",
		"FROB {3+}\r\nabc\r\nNOOP\r\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cmds, errs := parseAll(string(data), testLimits)
		for i, c := range cmds {
			if errs[i] != nil {
				continue
			}
			if !isAtom(c.Name) || len(c.Args) > maxArgs {
				t.Fatalf("accepted %+v", c)
			}
			line := c.Name
			for _, a := range c.Args {
				if !a.IsNumber && len(a.Str) > testLimits.MaxLine+testLimits.MaxLiteral {
					t.Fatalf("a string of %d octets", len(a.Str))
				}
				if a.IsNumber {
					line += " " + strconv.FormatInt(a.Num, 10)
				} else {
					line += " " + strings.Replace(encodeString(a.Str), "}\r\n", "+}\r\n", 1)
				}
			}
			again, errs2 := parseAll(line+"\r\n", Limits{MaxLine: 1 << 16, MaxLiteral: 1 << 16})
			if len(again) != 1 || errs2[0] != nil || !reflect.DeepEqual(again[0], c) {
				t.Fatalf("%+v re-encoded as %q parses as %+v %v", c, line, again, errs2)
			}
		}
	})
}
