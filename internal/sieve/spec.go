package sieve

// What each command and test takes (RFC 5228 §§3-5 and the extensions'
// RFCs named in doc.go), used by compile to check a script.

type pkind int

const (
	pNone    pkind = iota // a flag tag
	pString               // one string
	pStrings              // a string list
	pNumber
)

type tagSpec struct {
	param pkind
	ext   string // capability the tag needs; "" for the base language
	group string // tags of one group exclude each other
}

type cmdSpec struct {
	ext     string
	test    bool
	args    []pkind // positional arguments
	optHead int     // leading optional positional arguments (setflag's variable name)
	optTail int     // trailing optional positional arguments
	tags    map[string]tagSpec
	match   bool // comparator and match-type tags
	addr    bool // address-part tags
	index   bool // :index and :last (RFC 5260 §6)
	tests   int  // 0: none, 1: one test, -1: a test list
	block   bool
}

func matchTags() map[string]tagSpec {
	return map[string]tagSpec{
		"is": {group: "match"}, "contains": {group: "match"}, "matches": {group: "match"},
		"regex": {ext: "regex", group: "match"},
		"value": {param: pString, ext: "relational", group: "match"},
		"count": {param: pString, ext: "relational", group: "match"},
		// RFC 5228 §2.7.3.
		"comparator": {param: pString},
	}
}

func addrTags() map[string]tagSpec {
	return map[string]tagSpec{
		"all": {group: "addr"}, "localpart": {group: "addr"}, "domain": {group: "addr"},
		// RFC 5233 §4.
		"user": {ext: "subaddress", group: "addr"}, "detail": {ext: "subaddress", group: "addr"},
	}
}

func indexTags() map[string]tagSpec {
	return map[string]tagSpec{"index": {param: pNumber, ext: "index"}, "last": {ext: "index"}}
}

const flagsExt = "imap4flags"

// specs is built per call so there is no package-level mutable state.
func specs() map[string]cmdSpec {
	S, SL, N := pStrings, pStrings, pNumber
	return map[string]cmdSpec{
		// RFC 5228 §3.
		"if": {tests: 1, block: true}, "elsif": {tests: 1, block: true}, "else": {block: true},
		"require": {args: []pkind{SL}}, "stop": {},
		// RFC 5228 §4.
		"keep":     {tags: map[string]tagSpec{"flags": tagSpec{param: pStrings, ext: flagsExt}}},
		"discard":  {},
		"redirect": {args: []pkind{S}, tags: map[string]tagSpec{"copy": {ext: "copy"}}},
		"fileinto": {ext: "fileinto", args: []pkind{S}, tags: map[string]tagSpec{
			"copy": {ext: "copy"}, "flags": tagSpec{param: pStrings, ext: flagsExt}, "create": {ext: "mailbox"}}},
		// RFC 5429.
		"reject": {ext: "reject", args: []pkind{S}}, "ereject": {ext: "ereject", args: []pkind{S}},
		// RFC 5232 §3.
		"setflag": {ext: "imap4flags", args: []pkind{S, SL}, optHead: 1}, "addflag": {ext: "imap4flags", args: []pkind{S, SL}, optHead: 1},
		"removeflag": {ext: "imap4flags", args: []pkind{S, SL}, optHead: 1},
		// RFC 5229 §4.
		"set": {ext: "variables", args: []pkind{S, S}, tags: map[string]tagSpec{
			"lower": {group: "case"}, "upper": {group: "case"}, "lowerfirst": {group: "first"}, "upperfirst": {group: "first"},
			"quotewildcard": {group: "quote"}, "quoteregex": {ext: "regex", group: "quote"}, "length": {}}},
		// RFC 5230 §4 and RFC 6131.
		"vacation": {ext: "vacation", args: []pkind{S}, tags: map[string]tagSpec{
			"days": {param: N, group: "period"}, "seconds": {param: N, ext: "vacation-seconds", group: "period"},
			"subject": {param: pString}, "from": {param: pString}, "addresses": {param: SL},
			"mime": {}, "handle": {param: pString}}},
		// RFC 5293.
		"addheader":    {ext: "editheader", args: []pkind{S, S}, tags: map[string]tagSpec{"last": {}}},
		"deleteheader": {ext: "editheader", args: []pkind{S, SL}, optTail: 1, match: true, index: true},
		// RFC 6609.
		"include": {ext: "include", args: []pkind{S}, tags: map[string]tagSpec{
			"personal": {group: "loc"}, "global": {group: "loc"}, "once": {}, "optional": {}}},
		"return": {ext: "include"},
		"global": {ext: "include", args: []pkind{SL}},

		// Tests, RFC 5228 §5.
		"address":  {test: true, args: []pkind{SL, SL}, match: true, addr: true, index: true, tags: mimeTags(false)},
		"header":   {test: true, args: []pkind{SL, SL}, match: true, index: true, tags: mimeTags(true)},
		"envelope": {ext: "envelope", test: true, args: []pkind{SL, SL}, match: true, addr: true},
		"exists":   {test: true, args: []pkind{SL}, tags: mimeTags(false)},
		"size": {test: true, args: []pkind{N}, tags: map[string]tagSpec{
			"over": {group: "size"}, "under": {group: "size"}}},
		"allof": {test: true, tests: -1}, "anyof": {test: true, tests: -1}, "not": {test: true, tests: 1},
		"true": {test: true}, "false": {test: true},
		// RFC 5173.
		"body": {ext: "body", test: true, args: []pkind{SL}, match: true, tags: map[string]tagSpec{
			"raw": {group: "transform"}, "content": {param: SL, group: "transform"}, "text": {group: "transform"}}},
		// RFC 5229 §5, RFC 5232 §4.
		"string":  {ext: "variables", test: true, args: []pkind{SL, SL}, match: true},
		"hasflag": {ext: "imap4flags", test: true, args: []pkind{SL, SL}, optHead: 1, match: true},
		// RFC 5260 §4.
		"date": {ext: "date", test: true, args: []pkind{S, S, SL}, match: true, index: true, tags: map[string]tagSpec{
			"zone": {param: pString, group: "zone"}, "originalzone": {group: "zone"}}},
		"currentdate": {ext: "date", test: true, args: []pkind{S, SL}, match: true, tags: map[string]tagSpec{
			"zone": {param: pString}}},
		// RFC 7352.
		"duplicate": {ext: "duplicate", test: true, tags: map[string]tagSpec{
			"handle": {param: pString}, "header": {param: pString, group: "id"}, "uniqueid": {param: pString, group: "id"},
			"seconds": {param: N}, "last": {}}},
		// RFC 5235.
		"spamtest": {ext: "spamtest", test: true, args: []pkind{S}, match: true, tags: map[string]tagSpec{
			"percent": {ext: "spamtestplus"}}},
		// RFC 5183.
		"environment": {ext: "environment", test: true, args: []pkind{S, SL}, match: true},
		// RFC 5490 §3.
		"mailboxexists": {ext: "mailbox", test: true, args: []pkind{SL}},
		// RFC 5463.
		"ihave": {ext: "ihave", test: true, args: []pkind{SL}},
		// RFC 5703 §3 and §7.
		"foreverypart": {ext: "foreverypart", block: true, tags: map[string]tagSpec{"name": {param: pString}}},
		"break":        {ext: "foreverypart", tags: map[string]tagSpec{"name": {param: pString}}},
		"extracttext":  {ext: "extracttext", args: []pkind{S}, tags: map[string]tagSpec{"first": {param: N}}},
	}
}

// mimeTags are the tags RFC 5703 §4 adds to header, address and exists;
// only header reads a Content-Type's parts.
func mimeTags(parts bool) map[string]tagSpec {
	t := map[string]tagSpec{"mime": {ext: "mime"}, "anychild": {ext: "mime"}}
	if parts {
		for _, k := range []string{"type", "subtype", "contenttype"} {
			t[k] = tagSpec{ext: "mime", group: "mimeopt"}
		}
		t["param"] = tagSpec{param: pStrings, ext: "mime", group: "mimeopt"}
	}
	return t
}

// capabilities lists what require accepts (RFC 5228 §3.2).
func capabilities() []string {
	return []string{
		"fileinto", "envelope", "encoded-character", "imap4flags", "variables", "relational",
		"subaddress", "copy", "body", "regex", "reject", "ereject", "vacation", "vacation-seconds",
		"date", "index", "editheader", "duplicate", "include", "spamtest", "spamtestplus",
		"environment", "mailbox", "ihave", "mime", "foreverypart", "extracttext",
		"comparator-i;octet", "comparator-i;ascii-casemap", "comparator-i;ascii-numeric",
	}
}

// Capabilities returns the extensions this interpreter implements, for
// ManageSieve's SIEVE capability (RFC 5804 §1.7).
func Capabilities() []string { return capabilities() }
