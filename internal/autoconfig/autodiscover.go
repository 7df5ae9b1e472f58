package autoconfig

import (
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/petrelmail/petrel/internal/mailaddr"
)

// MaxBodySize bounds the body of an autodiscover request; Outlook's is
// a few hundred octets.
const MaxBodySize = 64 << 10

// The namespaces of the autodiscover "POX" documents (MS-OXDSCLI).
const (
	nsRequest  = "http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006"
	nsResponse = "http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006"
	// NSOutlook is the response schema of mail accounts (IMAP, POP3,
	// SMTP), the one this package answers in; a request asking for
	// another one (mobilesync for ActiveSync) gets ErrSchema.
	NSOutlook = "http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a"
)

// maxRequestDepth bounds the nesting of a request's elements: a real one
// has three levels. maxRequestText bounds the text of an element read
// (an address, a schema URI, with white space around them).
const (
	maxRequestDepth = 16
	maxRequestText  = 1024
)

// Errors of ParseRequest.
var (
	// ErrBadRequest: the body is not an autodiscover request.
	ErrBadRequest = errors.New("autoconfig: not an autodiscover request")
	// ErrTooLarge: the body is longer than MaxBodySize.
	ErrTooLarge = errors.New("autoconfig: autodiscover request too large")
	// ErrSchema: the request asks for a response schema other than
	// NSOutlook.
	ErrSchema = errors.New("autoconfig: response schema not offered")
)

// Request is what an autodiscover request asks: the settings of an
// address, in a response schema.
type Request struct {
	Address mailaddr.Address // checked by ParseAddress
	Schema  string           // AcceptableResponseSchema; "" when absent
}

// ParseRequest reads an autodiscover request: an Autodiscover element
// holding a Request with EMailAddress and AcceptableResponseSchema, in
// whatever namespace the client uses (other elements are skipped). It
// reads at most MaxBodySize octets of r, expands no entities, refuses a
// document type declaration, nesting deeper than maxRequestDepth and
// anything after the root element. The address is checked
// (ErrInvalidAddress); a schema other than NSOutlook is ErrSchema.
func ParseRequest(r io.Reader) (Request, error) {
	lr := &io.LimitedReader{R: r, N: MaxBodySize + 1}
	d := xml.NewDecoder(lr)
	d.Strict = true
	var p requestParser
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		var syntax *xml.SyntaxError
		switch {
		case lr.N <= 0:
			return Request{}, ErrTooLarge
		case errors.As(err, &syntax):
			return Request{}, ErrBadRequest
		case err != nil: // the reader's: the caller may know it
			return Request{}, fmt.Errorf("%w: %w", ErrBadRequest, err)
		}
		if !p.token(tok) {
			return Request{}, ErrBadRequest
		}
	}
	if lr.N <= 0 {
		return Request{}, ErrTooLarge
	}
	if !p.ended {
		return Request{}, ErrBadRequest
	}
	addr, err := ParseAddress(strings.TrimSpace(p.email))
	if err != nil {
		return Request{}, err
	}
	req := Request{Address: addr, Schema: strings.TrimSpace(p.schema)}
	if req.Schema != "" && req.Schema != NSOutlook {
		return req, ErrSchema
	}
	return req, nil
}

// The elements of a request that are read, by their path.
const (
	pathEmail  = "Autodiscover/Request/EMailAddress"
	pathSchema = "Autodiscover/Request/AcceptableResponseSchema"
)

// requestParser follows the tokens of a request.
type requestParser struct {
	path          []string // local names of the open elements
	text          strings.Builder
	email, schema string
	ended         bool // the root element is closed
}

// token takes the next token; false means the document is not a request.
func (p *requestParser) token(tok xml.Token) bool {
	switch t := tok.(type) {
	case xml.StartElement:
		if p.ended || len(p.path) >= maxRequestDepth || (len(p.path) == 0 && t.Name.Local != "Autodiscover") {
			return false
		}
		p.path = append(p.path, t.Name.Local)
		p.text.Reset()
	case xml.EndElement:
		switch strings.Join(p.path, "/") {
		case pathEmail:
			p.email = p.text.String()
		case pathSchema:
			p.schema = p.text.String()
		}
		p.path = p.path[:len(p.path)-1]
		p.ended = len(p.path) == 0
		p.text.Reset()
	case xml.CharData:
		switch strings.Join(p.path, "/") {
		case "":
			return len(strings.TrimSpace(string(t))) == 0
		case pathEmail, pathSchema:
			if p.text.Len()+len(t) > maxRequestText {
				return false
			}
			p.text.Write(t)
		}
	case xml.Directive:
		return false // <!DOCTYPE ...>: no entities
	}
	return true
}

// The autodiscover response (MS-OXDSCLI, outlook 2006a schema): one email
// account with a Protocol element per endpoint, in order of preference.
type adResponse struct {
	XMLName  xml.Name `xml:"http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006 Autodiscover"`
	Response struct {
		XMLName xml.Name `xml:"http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a Response"`
		Account adAccount
	}
}

type adAccount struct {
	AccountType string // "email": settings of a mail account, not Exchange
	Action      string // "settings": the settings follow (not a redirect)
	Protocol    []adProtocol
}

type adProtocol struct {
	Type           string // IMAP, POP3, SMTP
	Server         string
	Port           uint16
	LoginName      string
	DomainRequired string
	SPA            string // Microsoft's Secure Password Authentication: off
	SSL            string // on: TLS is required
	// Encryption overrides SSL: "SSL" is implicit TLS, "TLS" is STARTTLS
	// (Outlook's names).
	Encryption   string
	AuthRequired string
}

// Autodiscover returns the autodiscover response for addr (as
// ParseAddress returns it). It fails with ErrNotOffered when no client
// protocol is on.
func (s Server) Autodiscover(addr mailaddr.Address) ([]byte, error) {
	eps := append(append([]Endpoint(nil), s.Incoming...), s.Outgoing...)
	if len(eps) == 0 {
		return nil, ErrNotOffered
	}
	var resp adResponse
	resp.Response.Account = adAccount{AccountType: "email", Action: "settings"}
	for _, ep := range eps {
		enc := "SSL"
		if ep.Security == STARTTLS {
			enc = "TLS"
		}
		resp.Response.Account.Protocol = append(resp.Response.Account.Protocol, adProtocol{
			Type:           ep.Protocol.String(),
			Server:         s.Hostname,
			Port:           ep.Port,
			LoginName:      addr.String(),
			DomainRequired: "off",
			SPA:            "off",
			SSL:            "on",
			Encryption:     enc,
			AuthRequired:   "on",
		})
	}
	return encodeXML(resp)
}

// Error codes of an autodiscover error response.
const (
	adNotFound     = 500 // the address is not one of this server's
	adInvalid      = 600 // the request is not one
	adNoSuchSchema = 601 // the requested response schema is not offered
	adNotAvailable = 603 // the server cannot answer now
)

// adErrorResponse is an autodiscover error: the Response element is in
// the namespace of Autodiscover, not the outlook one.
type adErrorResponse struct {
	XMLName  xml.Name `xml:"http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006 Autodiscover"`
	Response struct {
		Error struct {
			ErrorCode int
			Message   string
			DebugData string
		}
	}
}

// autodiscoverError is the error document of code with message.
func autodiscoverError(code int, message string) []byte {
	var e adErrorResponse
	e.Response.Error.ErrorCode = code
	e.Response.Error.Message = message
	b, _ := encodeXML(e) // a fixed structure of strings: cannot fail
	return b
}

// The JSON ("v2") form of autodiscover: Outlook asks which URL serves a
// protocol; the one answered is AutodiscoverV1, the XML form.
const (
	protocolV1   = "AutodiscoverV1"
	autodiscover = "/autodiscover/autodiscover.xml"
)

// autodiscoverJSON is the answer for protocol AutodiscoverV1: the URL of
// the XML form on the host name, over HTTPS on port 443.
func (s Server) autodiscoverJSON() []byte {
	b, _ := json.Marshal(struct {
		Protocol string
		URL      string `json:"Url"`
	}{protocolV1, "https://" + s.Hostname + autodiscover})
	return b
}

// jsonError is the JSON form's error body.
func jsonError(code, message string) []byte {
	b, _ := json.Marshal(struct{ ErrorCode, ErrorMessage string }{code, message})
	return b
}
