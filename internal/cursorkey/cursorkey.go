// Package cursorkey reads the keys that seal the management API's list
// cursors from AWS Secrets Manager: the secret's current version
// (AWSCURRENT), which seals, and its previous one (AWSPREVIOUS), still
// accepted, so that a rotation (aws secretsmanager put-secret-value moves
// AWSCURRENT and makes the old value AWSPREVIOUS) takes effect without a
// deploy and without cutting the lists in progress. A function is given
// only the secret's ARN, never the key: the key is read at cold start and
// kept for a bounded time (TTL), then read again; a failed refresh keeps
// the keys it has and logs.
package cursorkey

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"

	"github.com/patservice/pat/internal/awsclient"
	"github.com/patservice/pat/internal/dynamo"
	"github.com/patservice/pat/internal/pat"
)

// API is the part of the Secrets Manager client the ring uses.
type API interface {
	GetSecretValue(context.Context, *secretsmanager.GetSecretValueInput, ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
}

var (
	_ API               = (*secretsmanager.Client)(nil)
	_ dynamo.CursorKeys = (*Ring)(nil)
)

// NewClient returns a Secrets Manager client; AWS_ENDPOINT_URL_SECRETS_MANAGER
// overrides its endpoint, as the local stack does (moto's server).
func NewClient() (*secretsmanager.Client, error) {
	cfg, err := awsclient.Config()
	if err != nil {
		return nil, err
	}
	endpoint := os.Getenv("AWS_ENDPOINT_URL_SECRETS_MANAGER")
	return secretsmanager.NewFromConfig(cfg, func(o *secretsmanager.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
	}), nil
}

// Defaults of a Ring.
const (
	// TTL bounds how long a rotated key goes unnoticed by a warm instance:
	// cursors sealed with the new key may be refused by an instance that
	// has not read it yet, for at most this long.
	TTL = 5 * time.Minute
	// Timeout bounds one refresh (both versions), so that a slow Secrets
	// Manager delays a list request at most this long once per TTL.
	Timeout = 2 * time.Second
)

// Ring is the cursor keys of one secret, current first (dynamo.CursorKeys).
type Ring struct {
	api    API
	secret string
	log    *slog.Logger
	// TTL and Timeout: see the constants; Now is the clock.
	TTL     time.Duration
	Timeout time.Duration
	Now     func() time.Time

	mu      sync.Mutex
	keys    [][]byte
	fetched time.Time
}

// Load reads the secret's current and previous keys: a cold start that
// cannot read a valid current key fails with the reason.
func Load(ctx context.Context, api API, secretARN string, log *slog.Logger) (*Ring, error) {
	r := &Ring{api: api, secret: secretARN, log: log, TTL: TTL, Timeout: Timeout, Now: time.Now}
	keys, err := r.fetch(ctx)
	if err != nil {
		return nil, err
	}
	r.keys, r.fetched = keys, r.Now()
	return r, nil
}

// CursorKeys returns the keys, current first, read again once they are
// older than TTL; when that fails the keys read before stay, and the
// failure is logged.
func (r *Ring) CursorKeys() [][]byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	if now := r.Now(); now.Sub(r.fetched) >= r.TTL {
		ctx, cancel := context.WithTimeout(context.Background(), r.Timeout)
		defer cancel()
		keys, err := r.fetch(ctx)
		if err != nil {
			r.log.Warn("cursor key not refreshed; the keys read before stay in use", "secret", r.secret, "error", err)
		} else {
			r.keys = keys
		}
		r.fetched = now // try again after TTL, not on every request
	}
	return r.keys
}

// fetch reads AWSCURRENT (required) and AWSPREVIOUS (absent before the
// first rotation; an unreadable one is left out and logged).
func (r *Ring) fetch(ctx context.Context) ([][]byte, error) {
	current, err := r.version(ctx, "AWSCURRENT")
	if err != nil {
		return nil, err
	}
	keys := [][]byte{current}
	previous, err := r.version(ctx, "AWSPREVIOUS")
	switch {
	case err == nil:
		keys = append(keys, previous)
	case !errors.Is(err, errNoVersion):
		r.log.Warn("previous cursor key not usable; cursors sealed with it are refused", "secret", r.secret, "error", err)
	}
	return keys, nil
}

var errNoVersion = errors.New("no such version")

// version reads and decodes one staging label's value.
func (r *Ring) version(ctx context.Context, stage string) ([]byte, error) {
	out, err := r.api.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(r.secret), VersionStage: aws.String(stage)})
	if _, ok := errors.AsType[*types.ResourceNotFoundException](err); ok && stage != "AWSCURRENT" {
		return nil, errNoVersion
	}
	if err != nil {
		return nil, fmt.Errorf("cursor key: read %s of %s: %w", stage, r.secret, err)
	}
	key, err := Decode(aws.ToString(out.SecretString))
	if err != nil {
		return nil, fmt.Errorf("cursor key: %s of %s: %w", stage, r.secret, err)
	}
	return key, nil
}

// Decode reads a key as the secret holds it: base64 (standard or URL
// alphabet, padded or not) of at least pat.MinCursorKeyLen bytes, such as
// the 64 letters and digits the stack generates or `openssl rand -base64
// 48`. Its errors never echo the value.
func Decode(value string) ([]byte, error) {
	v := strings.TrimRight(strings.TrimSpace(value), "=")
	b, err := base64.RawStdEncoding.DecodeString(v)
	if err != nil {
		b, err = base64.RawURLEncoding.DecodeString(v)
	}
	switch {
	case v == "" || err != nil:
		return nil, errors.New("not base64")
	case len(b) < pat.MinCursorKeyLen:
		return nil, fmt.Errorf("%d bytes, want at least %d", len(b), pat.MinCursorKeyLen)
	}
	return b, nil
}
