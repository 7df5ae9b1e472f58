package main

import (
	"encoding/base64"
	"fmt"
	"math"
	"math/rand/v2"
	"mime"
	"strings"
	"time"
)

// vocabulary of the bodies and subjects: everyday office English.
var vocabulary = strings.Fields(`a about after again all also an and any are as at away back be
because been before being below between both but by call can change could customer data day
deploy did do does done down draft during each early end even every feedback few file final
find first for from get give go good great had has have he her here him his how i if in into
invoice is issue it its just keep know last late later let like list look made make many may
me meeting more most much must my need new next no not note now of off office on once one only
or other our out over part people plan please point put quarter question quite ready really
release report review right said same schedule see send server service she should since so some
soon still such support sure take team than thank that the their them then there these they
thing think this those through ticket time to today together too under until up update us use
very want was we week well were what when where which while who why will with work would year
yet you your backup budget contract customer deadline figures handover invoice latency mailbox
network outage payroll proposal rollout storage summary travel vendor warehouse`)

// People: every first name is as likely (bench/imap.sh searches for one
// of them, Mallory); some last names need encoded words.
var (
	firstNames = strings.Fields("Alice Bob Carol Dave Erin Frank Grace Heidi Ivan Judy Mallory Niaj Olivia Peggy Rupert Sybil Trent Victor Walter Zoe")
	lastNames  = strings.Fields("Abbott Brown Çelik Dvořák Evans Fischer Gómez Håkansson Ito Jensen Kowalczyk Lefèvre Moreau Nakamura Øster Park")
	domains    = strings.Fields("example.com example.org example.net corp.example mail.example.de lists.example.org")
	subjects8  = []string{"Grüße aus Köln", "Compte rendu de la réunion", "Presupuesto del año próximo",
		"Отчёт за квартал", "来週の打ち合わせ", "Spotkanie w środę", "Årsmøte i mars"}
	attachments = []struct{ ctype, ext string }{{"application/pdf", "pdf"}, {"image/png", "png"},
		{"image/jpeg", "jpg"}, {"application/zip", "zip"}, {"text/csv", "csv"},
		{"application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx"}}
)

// message is one generated message: LF line ends, and its date.
type message struct {
	date time.Time
	text []byte
}

// thread is an earlier message a reply can answer.
type thread struct {
	subject string
	refs    []string // Message-IDs, oldest first, the last one the message itself
	author  string   // display name of its sender
}

type generator struct {
	r      *rand.Rand
	now    time.Time
	i      int
	recent []thread // ring of the last messages, for replies
}

func newGenerator(seed uint64) *generator {
	return &generator{r: rand.New(rand.NewPCG(seed, 0x70657472656c)), now: time.Unix(1_700_000_000, 0).UTC()}
}

func (g *generator) pick(s []string) string { return s[g.r.IntN(len(s))] }

// chance reports true with probability p.
func (g *generator) chance(p float64) bool { return g.r.Float64() < p }

// size draws a message size: log-normal, median e^8.3 (about 4 KB).
func (g *generator) size() int {
	s := math.Exp(8.3 + 1.1*g.r.NormFloat64())
	return int(min(300_000, max(300, s)))
}

// encodeWord returns s as is when it is ASCII, else as an RFC 2047
// encoded word (B or Q, alternately by message).
func (g *generator) encodeWord(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			if g.i%2 == 0 {
				return mime.BEncoding.Encode("UTF-8", s)
			}
			return mime.QEncoding.Encode("UTF-8", s)
		}
	}
	return s
}

// person returns a display name (encoded when needed), the name as
// written, and an address.
func (g *generator) person() (field, name string) {
	first, last := g.pick(firstNames), g.pick(lastNames)
	name = first + " " + last
	local := strings.ToLower(first) + "." + asciiFold(strings.ToLower(last))
	return fmt.Sprintf("%s <%s@%s>", g.encodeWord(name), local, g.pick(domains)), name
}

// asciiFold drops what is not a-z from an address's local part.
func asciiFold(s string) string {
	var b strings.Builder
	for _, c := range s {
		if c >= 'a' && c <= 'z' {
			b.WriteRune(c)
		}
	}
	if b.Len() == 0 {
		return "x"
	}
	return b.String()
}

func (g *generator) words(n int) string {
	w := make([]string, n)
	for i := range w {
		w[i] = g.pick(vocabulary)
	}
	return strings.Join(w, " ")
}

// sentence is 5-18 words, capitalised, with a full stop (mostly).
func (g *generator) sentence() string {
	s := g.words(5 + g.r.IntN(14))
	end := "."
	switch g.r.IntN(8) {
	case 0:
		end = "?"
	case 1:
		end = "!"
	}
	return strings.ToUpper(s[:1]) + s[1:] + end
}

// paragraph is 2-6 sentences wrapped at 72 columns.
func (g *generator) paragraph() string {
	s := make([]string, 2+g.r.IntN(5))
	for i := range s {
		s[i] = g.sentence()
	}
	return wrap(strings.Join(s, " "), 72)
}

// text is paragraphs until about n octets.
func (g *generator) text(n int) string {
	var b strings.Builder
	for b.Len() < n {
		if b.Len() > 0 {
			b.WriteString("\n\n")
		}
		b.WriteString(g.paragraph())
	}
	return b.String()
}

func wrap(s string, width int) string {
	var b strings.Builder
	col := 0
	for _, w := range strings.Fields(s) {
		if col > 0 && col+1+len(w) > width {
			b.WriteByte('\n')
			col = 0
		} else if col > 0 {
			b.WriteByte(' ')
			col++
		}
		b.WriteString(w)
		col += len(w)
	}
	return b.String()
}

// next makes the next message.
func (g *generator) next() message {
	g.i++
	g.now = g.now.Add(time.Duration(30+g.r.IntN(7171)) * time.Second)
	from, fromName := g.person()
	to, toName := g.person()
	size := g.size()
	var h strings.Builder
	hops := 1 + g.r.IntN(3)
	for hop := range hops {
		fmt.Fprintf(&h, "Received: from mx%d.%s (mx%d.%s [198.51.100.%d])\n\tby mail.example.net with ESMTPS id %08X\n\tfor <%s>; %s\n",
			hop, g.pick(domains), hop, g.pick(domains), 1+g.r.IntN(254), g.r.Uint32(),
			addrOf(to), g.now.Add(-time.Duration(hop*4)*time.Second).Format(time.RFC1123Z))
	}
	id := fmt.Sprintf("<%d.%08x@%s>", g.now.Unix(), g.r.Uint32(), domainOf(from))
	fmt.Fprintf(&h, "Message-ID: %s\nDate: %s\nFrom: %s\nTo: %s\n", id, g.now.Format(time.RFC1123Z), from, to)
	if g.chance(0.3) {
		cc := make([]string, 1+g.r.IntN(4))
		for i := range cc {
			cc[i], _ = g.person()
		}
		fmt.Fprintf(&h, "Cc: %s\n", strings.Join(cc, ",\n "))
	}
	subject := g.words(2 + g.r.IntN(7))
	subject = strings.ToUpper(subject[:1]) + subject[1:]
	if g.chance(0.1) {
		subject = g.pick(subjects8)
	}
	var parent *thread
	if len(g.recent) > 0 && g.chance(0.25) {
		parent = &g.recent[g.r.IntN(len(g.recent))]
		subject = "Re: " + strings.TrimPrefix(parent.subject, "Re: ")
		refs := parent.refs
		if len(refs) > 10 { // RFC 5322 §3.6.4: keep the first and the last ones
			refs = append([]string{refs[0]}, refs[len(refs)-9:]...)
		}
		fmt.Fprintf(&h, "In-Reply-To: %s\nReferences: %s\n", refs[len(refs)-1], strings.Join(refs, "\n "))
	}
	fmt.Fprintf(&h, "Subject: %s\nMIME-Version: 1.0\n", g.encodeWord(subject))
	if g.chance(0.2) {
		fmt.Fprintf(&h, "List-Id: Bench list %d <bench-%d.lists.example.org>\nList-Unsubscribe: <mailto:leave@lists.example.org>\n",
			g.r.IntN(5), g.r.IntN(5))
	}
	if g.chance(0.3) {
		fmt.Fprintf(&h, "X-Priority: %d\n", 1+g.r.IntN(5))
	}
	var body string
	switch k := g.r.Float64(); {
	case k < 0.45:
		body = g.plain(&h, size, parent, toName)
	case k < 0.75:
		body = g.alternative(&h, size)
	default:
		body = g.mixed(&h, size)
	}
	refs := []string{id}
	if parent != nil {
		refs = append(append([]string(nil), parent.refs...), id)
	}
	g.remember(thread{subject: subject, refs: refs, author: fromName})
	return message{date: g.now, text: []byte(h.String() + "\n" + strings.TrimRight(body, "\n") + "\n")}
}

// remember keeps the last 200 messages as reply targets.
func (g *generator) remember(t thread) {
	if len(g.recent) < 200 {
		g.recent = append(g.recent, t)
		return
	}
	g.recent[g.i%200] = t
}

func (g *generator) plain(h *strings.Builder, size int, parent *thread, toName string) string {
	cte := "8bit"
	if g.chance(0.3) {
		cte = "7bit"
	}
	fmt.Fprintf(h, "Content-Type: text/plain; charset=UTF-8; format=flowed\nContent-Transfer-Encoding: %s\n", cte)
	body := g.text(size)
	if parent != nil {
		var q strings.Builder
		for _, l := range strings.Split(g.paragraph(), "\n") {
			q.WriteString("> " + l + "\n")
		}
		body += fmt.Sprintf("\n\nOn %s, %s wrote:\n%s", g.now.Add(-26*time.Hour).Format("Mon, 2 Jan 2006 at 15:04"), parent.author, q.String())
	} else if g.chance(0.5) {
		body += "\n\n-- \n" + toName + "'s colleague\n"
	}
	return body
}

func (g *generator) alternative(h *strings.Builder, size int) string {
	b := fmt.Sprintf("alt-%016x", g.r.Uint64())
	fmt.Fprintf(h, "Content-Type: multipart/alternative;\n boundary=\"%s\"\n", b)
	txt := g.text(size / 3)
	var html strings.Builder
	html.WriteString("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"></head><body>\n")
	for _, p := range strings.Split(txt, "\n\n") {
		html.WriteString("<p style=\"margin:0 0 1em 0\">" + strings.ReplaceAll(p, "\n", " ") + "</p>\n")
	}
	html.WriteString("</body></html>")
	return fmt.Sprintf("This is a multi-part message in MIME format.\n\n--%s\nContent-Type: text/plain; charset=UTF-8\nContent-Transfer-Encoding: 8bit\n\n%s\n\n--%s\nContent-Type: text/html; charset=UTF-8\nContent-Transfer-Encoding: 8bit\n\n%s\n\n--%s--\n",
		b, txt, b, wrap(html.String(), 200), b)
}

func (g *generator) mixed(h *strings.Builder, size int) string {
	b := fmt.Sprintf("mix-%016x", g.r.Uint64())
	fmt.Fprintf(h, "Content-Type: multipart/mixed;\n boundary=\"%s\"\n", b)
	a := attachments[g.r.IntN(len(attachments))]
	data := make([]byte, max(200, size*7/10))
	for i := range data {
		data[i] = byte(g.r.Uint32())
	}
	enc := base64.StdEncoding.EncodeToString(data)
	var lines strings.Builder
	for len(enc) > 76 {
		lines.WriteString(enc[:76] + "\n")
		enc = enc[76:]
	}
	lines.WriteString(enc)
	name := fmt.Sprintf("%s-%d.%s", strings.ToLower(g.pick(vocabulary)), g.i, a.ext)
	return fmt.Sprintf("--%s\nContent-Type: text/plain; charset=UTF-8\nContent-Transfer-Encoding: 8bit\n\n%s\n\n--%s\nContent-Type: %s; name=\"%s\"\nContent-Disposition: attachment; filename=\"%s\"\nContent-Transfer-Encoding: base64\n\n%s\n--%s--\n",
		b, g.text(max(200, size/8)), b, a.ctype, name, name, lines.String(), b)
}

func addrOf(field string) string {
	_, a, _ := strings.Cut(field, "<")
	return strings.TrimSuffix(a, ">")
}

func domainOf(field string) string {
	_, d, _ := strings.Cut(addrOf(field), "@")
	return d
}
