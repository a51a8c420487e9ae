package localstack

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ses"

	"github.com/patservice/pat/internal/awsclient"
)

// SESProxy stands in front of the SES emulator, which accepts every
// message from anyone to anyone, and makes it as strict as SES can be: it
// passes requests on, or answers them as SES answers a refusal (its status,
// its XML error body with the error code and message), or stalls them.
type SESProxy struct {
	URL string
	// Requests counts the requests that reached the proxy.
	Requests atomic.Int32

	mu      sync.Mutex
	refusal *SESRefusal
	times   int           // refusals left; < 0: every request
	to      string        // "": refuse any send; else only sends to this address
	stall   time.Duration // 0: no stall
	pending sync.WaitGroup
}

// SESRefusal is SES's answer to a send it refuses.
type SESRefusal struct {
	Status  int    // HTTP status; 400 if zero
	Code    string // SES's error code, e.g. MessageRejected
	Message string // SES's error message
}

// NewSESProxy starts a proxy in front of the local stack's SES emulator
// that passes every request on until told otherwise.
func NewSESProxy(tb testing.TB) *SESProxy {
	tb.Helper()
	target := os.Getenv("AWS_ENDPOINT_URL_SES")
	if target == "" {
		tb.Skip("needs the local stack: run through `make test` (infra/stack.sh)")
	}
	p := &SESProxy{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.Requests.Add(1)
		body, _ := io.ReadAll(r.Body)
		fwd, err := http.NewRequest(r.Method, target+r.URL.RequestURI(), bytes.NewReader(body))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		fwd.Header = r.Header.Clone()
		form, _ := url.ParseQuery(string(body))
		refusal, stall := p.next(form.Get("Destination.ToAddresses.member.1"))
		switch {
		case refusal != nil:
			refuse(w, *refusal)
		case stall > 0:
			// A service that accepted the message before it froze: it is
			// delivered after the stall, but the sender hears nothing.
			p.pending.Go(func() {
				time.Sleep(stall)
				if resp, err := http.DefaultClient.Do(fwd); err == nil {
					resp.Body.Close()
				}
			})
			select {
			case <-r.Context().Done():
			case <-time.After(stall + time.Second):
			}
		default:
			forward(w, fwd, http.DefaultClient)
		}
	}))
	p.URL = srv.URL
	tb.Cleanup(func() { srv.Close(); p.pending.Wait() })
	return p
}

// Refuse answers the next n sends (n < 0: every send until Pass) with r.
func (p *SESProxy) Refuse(r SESRefusal, n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.refusal, p.times, p.to, p.stall = &r, n, "", 0
}

// RefuseRecipient answers every send to address with r, as SES refuses a
// recipient it will not mail; other sends pass.
func (p *SESProxy) RefuseRecipient(address string, r SESRefusal) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.refusal, p.times, p.to, p.stall = &r, -1, address, 0
}

// Stall holds every request for d without an answer, then delivers it.
func (p *SESProxy) Stall(d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.refusal, p.stall = nil, d
}

// Pass passes every request on to the emulator again.
func (p *SESProxy) Pass() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.refusal, p.stall = nil, 0
}

func (p *SESProxy) next(to string) (*SESRefusal, time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.refusal == nil || p.times == 0 || p.to != "" && p.to != to {
		return nil, p.stall
	}
	if p.times > 0 {
		p.times--
	}
	return p.refusal, 0
}

// Client is an SES client configured as the functions' (sesmail.NewClient)
// that reaches SES through the proxy.
func (p *SESProxy) Client(tb testing.TB) *ses.Client {
	tb.Helper()
	cfg, err := awsclient.Config()
	if err != nil {
		tb.Fatal(err)
	}
	return ses.NewFromConfig(cfg, func(o *ses.Options) { o.BaseEndpoint = aws.String(p.URL) })
}

// refuse writes SES's Query API error response.
func refuse(w http.ResponseWriter, r SESRefusal) {
	status := r.Status
	if status == 0 {
		status = http.StatusBadRequest
	}
	var code, msg bytes.Buffer
	_ = xml.EscapeText(&code, []byte(r.Code))
	_ = xml.EscapeText(&msg, []byte(r.Message))
	id := fmt.Sprintf("%08x-0000-4000-8000-000000000000", time.Now().UnixNano()&0xffffffff)
	w.Header().Set("Content-Type", "text/xml")
	w.Header().Set("X-Amzn-Requestid", id)
	w.WriteHeader(status)
	fmt.Fprintf(w, `<ErrorResponse xmlns="http://ses.amazonaws.com/doc/2010-12-01/">
  <Error>
    <Type>Sender</Type>
    <Code>%s</Code>
    <Message>%s</Message>
  </Error>
  <RequestId>%s</RequestId>
</ErrorResponse>
`, code.String(), msg.String(), id)
}

// forward sends req upstream through client and copies the answer to w.
func forward(w http.ResponseWriter, req *http.Request, client *http.Client) {
	resp, err := client.Do(req)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	for k, v := range resp.Header {
		w.Header()[k] = v
	}
	w.WriteHeader(resp.StatusCode)
	_, _ = io.Copy(w, resp.Body)
}
