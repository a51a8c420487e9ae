package localgw

import (
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
)

// Only the loopback names of the listening port reach the handler; any
// other Host (a rebound name, another port, a look-alike) gets 421.
func TestLoopbackOnly(t *testing.T) {
	reached := 0
	h := LoopbackOnly(&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 8080}, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { reached++ }))
	for host, ok := range map[string]bool{
		"127.0.0.1:8080":              true,
		"localhost:8080":              true,
		"LocalHost:8080":              true,
		"[::1]:8080":                  true,
		"rebind.evil.example:8080":    false,
		"rebind.evil.example":         false,
		"localhost.evil.example:8080": false,
		"127.0.0.1:8081":              false,
		"localhost":                   false,
		"127.0.0.2:8080":              false,
		"":                            false,
		"127.0.0.1:8080.evil.example": false,
	} {
		before := reached
		r := httptest.NewRequest("POST", "/dev/lifecycle", nil)
		r.Host = host
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if got := reached > before; got != ok || (!ok && w.Code != http.StatusMisdirectedRequest) {
			t.Errorf("Host %q: reached %v, status %d", host, got, w.Code)
		}
	}
	// On port 80 a browser sends the bare name.
	h80 := LoopbackOnly(&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 80}, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	r := httptest.NewRequest("GET", "/", nil)
	r.Host = "localhost"
	w := httptest.NewRecorder()
	if h80.ServeHTTP(w, r); w.Code != http.StatusOK {
		t.Errorf("localhost on port 80: %d", w.Code)
	}
}
