package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
)

// LeaksFromEnv reads the configuration of the functions that revoke
// leaked tokens: FromEnv's, the administrators' address
// (ADMIN_NOTIFY_EMAIL, also the lifecycle job's) and, for the endpoint of
// secret scanners' reports (reports true), where their signing keys are
// published (LEAK_REPORT_KEYS_URL, https).
func LeaksFromEnv(reports bool) (Config, error) {
	c, err := FromEnv()
	r := reader{}
	if err != nil {
		r.errs = append(r.errs, err)
	}
	c.AdminEmail = r.str("ADMIN_NOTIFY_EMAIL", "")
	if reports {
		c.LeakKeysURL = r.str("LEAK_REPORT_KEYS_URL", "")
		if !keysURL(c.LeakKeysURL) {
			r.errs = append(r.errs, fmt.Errorf("LEAK_REPORT_KEYS_URL=%q: want an https URL, such as https://api.github.com/meta/public_keys/secret_scanning", c.LeakKeysURL))
		}
	}
	if err := errors.Join(r.errs...); err != nil {
		return Config{}, fmt.Errorf("configuration: %w", err)
	}
	return c, nil
}

// keysURL accepts https, and http to a loopback address only: a local key
// server in tests, never a key fetched in the clear over a network.
func keysURL(s string) bool {
	u, err := url.Parse(s)
	switch {
	case err != nil || u.Host == "":
		return false
	case u.Scheme == "https":
		return true
	}
	ip := net.ParseIP(u.Hostname())
	return u.Scheme == "http" && ip != nil && ip.IsLoopback()
}
