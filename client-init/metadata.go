package clientinit

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/metalinkd/metalinkd/internal/version"
)

// placement is where a metadata service says the guest runs.
type placement struct {
	// Provider is the cloud that answered: "aws", "gcp" or "azure".
	Provider string
	// Region is the region id as the cloud spells it, such as "us-east-1",
	// "us-central1" or "westeurope".
	Region string
}

// maxAnswer bounds what is read from a metadata answer. Regions, zones and
// tokens are tens of bytes; anything near this size is not one of them.
const maxAnswer = 1024

// metadataClient talks to link-local metadata services. It never uses a
// proxy (a proxy must not see, nor answer for, the metadata service) and
// never follows a redirect (metadata services do not redirect; captive
// portals do).
type metadataClient struct {
	http *http.Client
	// userAgent names the program and its version, so that a metadata
	// service's logs tell which build asked.
	userAgent string
}

func newMetadataClient() *metadataClient {
	return &metadataClient{userAgent: version.UserAgent("client-init"), http: &http.Client{
		Transport: &http.Transport{
			Proxy:                  nil,
			MaxResponseHeaderBytes: 16 << 10,
			IdleConnTimeout:        5 * time.Second,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}}
}

// answer is one metadata response with its body read up to maxAnswer bytes.
type answer struct {
	status int
	header http.Header
	body   []byte
}

// do sends one request. A service that cannot be reached, or whose answer
// is still arriving when ctx ends, gives an error wrapping errNoMetadata; a
// body over maxAnswer gives errBadAnswer.
func (c *metadataClient) do(ctx context.Context, cloud, method, url string, header http.Header) (answer, error) {
	req, err := http.NewRequestWithContext(ctx, method, url, nil)
	if err != nil {
		return answer{}, fmt.Errorf("%w: %v", errUsage, err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	req.Header.Set("User-Agent", c.userAgent)
	resp, err := c.http.Do(req)
	if err != nil {
		return answer{}, &cloudError{kind: errNoMetadata, cloud: cloud, msg: err.Error()}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer+1))
	if err != nil && ctx.Err() != nil {
		// An answer still arriving when the whole detection's deadline
		// passes is no answer: a service that slow is not one to rely on,
		// and the guest must boot as if outside a cloud.
		return answer{}, &cloudError{kind: errNoMetadata, cloud: cloud, msg: fmt.Sprintf("%s %s: answer not complete before the deadline: %v", method, url, err)}
	}
	if err != nil {
		return answer{}, &cloudError{kind: errBadAnswer, cloud: cloud, msg: fmt.Sprintf("%s %s: reading the answer: %v", method, url, err)}
	}
	if len(body) > maxAnswer {
		return answer{}, &cloudError{kind: errBadAnswer, cloud: cloud, msg: fmt.Sprintf("%s %s: answer larger than %d bytes", method, url, maxAnswer)}
	}
	return answer{status: resp.StatusCode, header: resp.Header, body: body}, nil
}

// errHTML, errEmpty and errCharacters say why an answer is not plain text.
var (
	errHTML       = errors.New("answer is HTML, not plain text")
	errEmpty      = errors.New("answer is empty")
	errCharacters = errors.New("answer has characters outside printable ASCII")
)

// text returns a 200 answer's body as one word of printable ASCII, without
// the trailing newline some services add.
func (a answer) text() (string, error) {
	if mt, _, err := mime.ParseMediaType(a.header.Get("Content-Type")); err == nil && strings.Contains(mt, "html") {
		return "", errHTML
	}
	s := strings.TrimRight(string(a.body), "\r\n")
	if s == "" {
		return "", errEmpty
	}
	if s[0] == '<' {
		return "", errHTML
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return "", errCharacters
		}
	}
	return s, nil
}

// cloudError is a failure of one cloud's metadata service; its kind is
// errNoMetadata or errBadAnswer.
type cloudError struct {
	kind  error
	cloud string
	msg   string
}

func (e *cloudError) Error() string { return e.cloud + ": " + e.msg }

func (e *cloudError) Unwrap() error { return e.kind }

// badAnswer reports an unusable answer of one cloud's metadata path.
func badAnswer(cloud, path string, err error) error {
	return &cloudError{kind: errBadAnswer, cloud: cloud, msg: path + ": " + err.Error()}
}

// absent reports that one cloud's metadata service is not there.
func absent(cloud, format string, args ...any) error {
	return &cloudError{kind: errNoMetadata, cloud: cloud, msg: fmt.Sprintf(format, args...)}
}
