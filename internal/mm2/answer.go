package mm2

import (
	"bufio"
	"bytes"
	"encoding/xml"
	"fmt"
	"net/url"
	"strings"
)

// Answer is what a metalink or mirrorlist answer lists: its mirrors in
// document order, each once (by the host of its URLs).
type Answer struct {
	// Error is the answer's message when it lists no file (a metalink
	// holding only a comment, a mirrorlist of comments only).
	Error   string
	Mirrors []ListedMirror
	// Alternates counts the older repomd.xml versions a metalink lists.
	Alternates int
}

// ListedMirror is one mirror of an answer.
type ListedMirror struct {
	Host     string // the URLs' host (with its port, if any), lower case
	Country  string // the location attribute (metalink only)
	Private  bool   // mm0:private="True" (metalink only)
	URLs     []string
	Protocol []string
}

// maxAnswer bounds what ParseMetalink and ParseMirrorlist read.
const maxAnswer = 16 << 20

// metalinkDoc is the part of a Metalink 3.0 document that is compared.
type metalinkDoc struct {
	XMLName xml.Name `xml:"metalink"`
	Comment string   `xml:",comment"`
	Files   []struct {
		Name       string `xml:"name,attr"`
		Alternates struct {
			Alternate []struct{} `xml:"alternate"`
		} `xml:"alternates"`
		URLs []struct {
			Protocol string     `xml:"protocol,attr"`
			Location string     `xml:"location,attr"`
			Attrs    []xml.Attr `xml:",any,attr"`
			Value    string     `xml:",chardata"`
		} `xml:"resources>url"`
	} `xml:"files>file"`
}

// ParseMetalink reads a Metalink 3.0 answer. A document without files is
// an error answer: its comment becomes Answer.Error.
func ParseMetalink(body []byte) (*Answer, error) {
	if len(body) > maxAnswer {
		return nil, fmt.Errorf("metalink of %d bytes: at most %d are read", len(body), maxAnswer)
	}
	var doc metalinkDoc
	dec := xml.NewDecoder(bytes.NewReader(body))
	var comment string
	for {
		tok, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("metalink: %w", err)
		}
		if c, ok := tok.(xml.Comment); ok && comment == "" {
			comment = strings.TrimSpace(string(c))
		}
		if se, ok := tok.(xml.StartElement); ok {
			if se.Name.Local != "metalink" {
				return nil, fmt.Errorf("metalink: root element <%s>", se.Name.Local)
			}
			if err := dec.DecodeElement(&doc, &se); err != nil {
				return nil, fmt.Errorf("metalink: %w", err)
			}
			break
		}
	}
	a := &Answer{}
	if len(doc.Files) == 0 {
		a.Error = strings.TrimSpace(doc.Comment)
		if a.Error == "" {
			a.Error = comment
		}
		if a.Error == "" {
			a.Error = "no file listed"
		}
		return a, nil
	}
	f := doc.Files[0]
	a.Alternates = len(f.Alternates.Alternate)
	for _, u := range f.URLs {
		raw := strings.TrimSpace(u.Value)
		private := false
		for _, at := range u.Attrs {
			if at.Name.Local == "private" && at.Value == "True" {
				private = true
			}
		}
		if err := a.add(raw, u.Protocol, strings.ToUpper(u.Location), private); err != nil {
			return nil, err
		}
	}
	return a, nil
}

// ParseMirrorlist reads a mirrorlist answer: comment lines, then one URL
// a line.
func ParseMirrorlist(body []byte) (*Answer, error) {
	if len(body) > maxAnswer {
		return nil, fmt.Errorf("mirrorlist of %d bytes: at most %d are read", len(body), maxAnswer)
	}
	a := &Answer{}
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(make([]byte, 64<<10), maxAnswer)
	var comments []string
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "":
		case strings.HasPrefix(line, "#"):
			comments = append(comments, line)
		default:
			u, err := url.Parse(line)
			if err != nil {
				return nil, fmt.Errorf("mirrorlist: %q is not a URL", line)
			}
			if err := a.add(line, u.Scheme, "", false); err != nil {
				return nil, err
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("mirrorlist: %w", err)
	}
	if len(a.Mirrors) == 0 {
		a.Error = strings.Join(comments, " ")
	}
	return a, nil
}

// add appends a URL to its mirror, or a new mirror.
func (a *Answer) add(raw, protocol, country string, private bool) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return fmt.Errorf("answer: %q is not a URL with a host", raw)
	}
	host := strings.ToLower(u.Host)
	for i := range a.Mirrors {
		if a.Mirrors[i].Host == host {
			m := &a.Mirrors[i]
			m.URLs, m.Protocol = append(m.URLs, raw), append(m.Protocol, protocol)
			return nil
		}
	}
	a.Mirrors = append(a.Mirrors, ListedMirror{Host: host, Country: country, Private: private,
		URLs: []string{raw}, Protocol: []string{protocol}})
	return nil
}

// Hosts returns the answer's hosts in document order.
func (a *Answer) Hosts() []string {
	out := make([]string, len(a.Mirrors))
	for i, m := range a.Mirrors {
		out[i] = m.Host
	}
	return out
}
