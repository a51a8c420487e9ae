// Package token implements the personal access token format:
//
//	<prefix>_<id>_<secret><checksum>
//
// id is 17 base62 characters (101 bits) chosen at random and public: it is the
// table key. secret is 43 base62 characters (256 bits) from crypto/rand.
// checksum is the CRC32 of everything before it in 6 base62 characters, so a
// mistyped or truncated token is rejected without any I/O (GitHub's scheme).
// Only the SHA-256 digest of the whole token is ever stored.
package token

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"regexp"
)

const (
	// OwnerTagLen is the length of the owner tag that starts every id.
	OwnerTagLen = 12
	// RandomIDLen is the random part of the id: 17 base62 characters carry 101 bits.
	RandomIDLen = 17
	// IDLen is the length of the public id.
	IDLen = OwnerTagLen + RandomIDLen
	// SecretLen is the length of the secret: 43 base62 characters carry 256 bits.
	SecretLen = 43
	// ChecksumLen is the length of the base62 CRC32 checksum (62^6 > 2^32).
	ChecksumLen = 6
	// DefaultPrefix is the prefix used unless configuration sets another.
	DefaultPrefix = "pat"

	// maxLen bounds every token (12-character prefix), for stack buffers.
	maxLen = 12 + 1 + IDLen + 1 + SecretLen + ChecksumLen

	alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
)

// ErrMalformed is returned for any string that is not a well-formed token:
// wrong prefix, length, alphabet or checksum. It deliberately says no more.
var ErrMalformed = errors.New("malformed token")

var prefixPattern = regexp.MustCompile(`^[a-z][a-z0-9]{1,11}$`)

// Digest is the SHA-256 of a whole token: the only form in which it is stored.
type Digest [sha256.Size]byte

// Equal compares two digests in constant time.
func (d Digest) Equal(other []byte) bool {
	return subtle.ConstantTimeCompare(d[:], other) == 1
}

// Parsed is a token that passed the shape and checksum check. It keeps the
// original string so that its digest can be computed without copying.
type Parsed struct {
	raw string
	ID  string
}

// OwnerTag returns the owner tag at the start of the id.
func (p Parsed) OwnerTag() string { return p.ID[:OwnerTagLen] }

// OwnerTag derives the 12-character tag of a user id: the first 64 bits of
// its SHA-256, in base62. It keys the user's record, so that a token names where its
// owner is. Two users with one tag are detected where records are written.
func OwnerTag(userID string) string {
	sum := sha256.Sum256([]byte("pat-owner\x00" + userID))
	v := binary.BigEndian.Uint64(sum[:8])
	var out [OwnerTagLen]byte
	for i := range out {
		out[i] = alphabet[v%62]
		v /= 62
	}
	return string(out[:])
}

// Digest returns the SHA-256 digest of the whole token.
func (p Parsed) Digest() Digest {
	var buf [maxLen]byte
	return sha256.Sum256(buf[:copy(buf[:], p.raw)])
}

// Format generates and parses tokens with one prefix.
type Format struct {
	prefix string
	// Rand is the source of randomness; crypto/rand unless a test sets another.
	Rand io.Reader
}

// NewFormat returns a Format for prefix: 2 to 12 lowercase letters or digits,
// starting with a letter, so that the token stays one "word" for scanners.
func NewFormat(prefix string) (*Format, error) {
	if !prefixPattern.MatchString(prefix) {
		return nil, fmt.Errorf("token prefix %q: want 2-12 lowercase letters or digits starting with a letter", prefix)
	}
	return &Format{prefix: prefix, Rand: rand.Reader}, nil
}

// Prefix returns the configured prefix.
func (f *Format) Prefix() string { return f.prefix }

// Len is the length of every token of this format.
func (f *Format) Len() int { return len(f.prefix) + 1 + IDLen + 1 + SecretLen + ChecksumLen }

// Pattern returns the regular expression that matches tokens of this format,
// for secret scanners (gitleaks, GitHub custom patterns).
func (f *Format) Pattern() string {
	return fmt.Sprintf(`\b%s_[0-9A-Za-z]{%d}_[0-9A-Za-z]{%d}\b`, f.prefix, IDLen, SecretLen+ChecksumLen)
}

// Generate returns a new token for the owner with the given tag, and its parsed form.
func (f *Format) Generate(ownerTag string) (string, Parsed, error) {
	if len(ownerTag) != OwnerTagLen || !allBase62(ownerTag) {
		return "", Parsed{}, fmt.Errorf("owner tag %q: want %d base62 characters", ownerTag, OwnerTagLen)
	}
	buf := make([]byte, 0, f.Len())
	buf = append(buf, f.prefix...)
	buf = append(buf, '_')
	buf = append(buf, ownerTag...)
	var err error
	if buf, err = f.appendRandom(buf, RandomIDLen); err != nil {
		return "", Parsed{}, err
	}
	buf = append(buf, '_')
	if buf, err = f.appendRandom(buf, SecretLen); err != nil {
		return "", Parsed{}, err
	}
	buf = appendChecksum(buf, crc32String(string(buf)))
	raw := string(buf)
	idStart := len(f.prefix) + 1
	return raw, Parsed{raw: raw, ID: raw[idStart : idStart+IDLen]}, nil
}

// NewSecret returns 43 random base62 characters (256 bits), for other
// bearer secrets (one-click links).
func (f *Format) NewSecret() (string, error) {
	b, err := f.appendRandom(make([]byte, 0, SecretLen), SecretLen)
	return string(b), err
}

// NewID returns 17 random base62 characters (101 bits), for other records
// that need a unique id (audit events).
func (f *Format) NewID() (string, error) {
	b, err := f.appendRandom(make([]byte, 0, RandomIDLen), RandomIDLen)
	return string(b), err
}

// appendRandom appends n uniformly random base62 characters, rejecting bytes
// ≥ 248 (4×62) so that every character is equally likely.
func (f *Format) appendRandom(dst []byte, n int) ([]byte, error) {
	var pool [64]byte
	for n > 0 {
		if _, err := io.ReadFull(f.Rand, pool[:]); err != nil {
			return nil, fmt.Errorf("read random bytes: %w", err)
		}
		for _, b := range pool {
			if b >= 248 {
				continue
			}
			dst = append(dst, alphabet[b%62])
			if n--; n == 0 {
				break
			}
		}
	}
	return dst, nil
}

// Parse checks a token's shape and checksum. It does no I/O and allocates nothing.
func (f *Format) Parse(s string) (Parsed, error) {
	p := len(f.prefix)
	if len(s) != f.Len() || s[:p] != f.prefix || s[p] != '_' || s[p+1+IDLen] != '_' {
		return Parsed{}, ErrMalformed
	}
	body := s[p+1:]
	for i := 0; i < len(body); i++ {
		if i == IDLen {
			continue
		}
		if !isBase62(body[i]) {
			return Parsed{}, ErrMalformed
		}
	}
	sumAt := len(s) - ChecksumLen
	if !checksumMatches(s[sumAt:], crc32String(s[:sumAt])) {
		return Parsed{}, ErrMalformed
	}
	return Parsed{raw: s, ID: s[p+1 : p+1+IDLen]}, nil
}

// ValidID reports whether s has the shape of a token id, so that a path
// parameter can be rejected before it reaches the database.
func ValidID(s string) bool { return len(s) == IDLen && allBase62(s) }

// ValidOwnerTag reports whether s has the shape of an owner tag.
func ValidOwnerTag(s string) bool { return len(s) == OwnerTagLen && allBase62(s) }

func allBase62(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isBase62(s[i]) {
			return false
		}
	}
	return true
}

var ieeeTable = crc32.MakeTable(crc32.IEEE)

// crc32String is crc32.ChecksumIEEE over a string without converting it to a
// []byte, which would allocate on the hot path of every authorization.
func crc32String(s string) uint32 {
	crc := ^uint32(0)
	for i := 0; i < len(s); i++ {
		crc = ieeeTable[byte(crc)^s[i]] ^ crc>>8
	}
	return ^crc
}

func isBase62(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z'
}

func appendChecksum(dst []byte, sum uint32) []byte {
	var out [ChecksumLen]byte
	v := uint64(sum)
	for i := ChecksumLen - 1; i >= 0; i-- {
		out[i] = alphabet[v%62]
		v /= 62
	}
	return append(dst, out[:]...)
}

func checksumMatches(enc string, sum uint32) bool {
	var want [ChecksumLen]byte
	appendChecksum(want[:0], sum)
	return enc == string(want[:])
}
