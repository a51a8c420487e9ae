package dynamo

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"slices"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/patservice/pat/internal/pat"
)

// A cursor is where a list resumes, sealed so that only the list that
// issued it accepts it back:
//
//	base64url( version | position as JSON | HMAC-SHA256 )
//
// The MAC covers the version, the list the service named (route, caller,
// filter as given), the query the store ran (table, index, key condition)
// and the position. A forged, edited, truncated or over-long cursor, one of
// another list, caller or filter, or one sealed under another key is
// refused with CodeInvalidCursor before any read; so the position inside,
// once opened, is one this store wrote and DynamoDB never sees a key it did
// not hand out. The position is readable (base64 of JSON), not secret: it
// names items the caller has just been shown.
const (
	cursorVersion = 1
	// MaxCursorLen bounds a cursor as received. The store issues about 150
	// characters plus 1.4 per character of the user id in the key (owner
	// index, audit by owner or actor): under 1,000 for the 255 characters
	// OIDC allows a subject.
	MaxCursorLen = 2048
)

var errInvalidCursor = pat.Errorf(pat.CodeInvalidCursor, "cursor: not a nextCursor this list gave you; start again without one")

// position is where a list resumes: the key DynamoDB starts after and, for
// a list that reads several partitions in turn (the audit log by month),
// the partition it was reading.
type position struct {
	Key  map[string]string `json:"k,omitempty"`
	Part string            `json:"p,omitempty"`
}

// startKey is the position's key as DynamoDB takes it; nil for none.
func (p position) startKey() map[string]types.AttributeValue {
	if len(p.Key) == 0 {
		return nil
	}
	out := make(map[string]types.AttributeValue, len(p.Key))
	for k, v := range p.Key {
		out[k] = &types.AttributeValueMemberS{Value: v}
	}
	return out
}

// at is the position of a key DynamoDB returned (every key attribute of
// both tables and their indexes is a string).
func at(key map[string]types.AttributeValue, part string) position {
	p := position{Part: part}
	for k, v := range key {
		if s, ok := v.(*types.AttributeValueMemberS); ok {
			if p.Key == nil {
				p.Key = map[string]string{}
			}
			p.Key[k] = s.Value
		}
	}
	return p
}

// CursorKeys are the keys of the cursors: the current one, which seals, and
// the previous ones still accepted, so that a cursor handed out just
// before a rotation of the key still works (see package cursorkey, which
// reads them from Secrets Manager). A key is at least pat.MinCursorKeyLen
// bytes.
type CursorKeys interface {
	// CursorKeys returns the current key first, then the previous ones.
	CursorKeys() [][]byte
}

// StaticCursorKeys is a fixed key ring, current key first.
type StaticCursorKeys [][]byte

// CursorKeys: see the CursorKeys interface.
func (k StaticCursorKeys) CursorKeys() [][]byte { return k }

// cursorCodec seals cursors with the current key and opens those sealed
// with any key of the ring.
type cursorCodec struct{ keys CursorKeys }

func randomKey() []byte {
	key := make([]byte, pat.MinCursorKeyLen)
	_, _ = rand.Read(key) // never fails (crypto/rand)
	return key
}

// seal returns the cursor of pos for the list and query.
func (c cursorCodec) seal(list, query string, pos position) string {
	payload, err := json.Marshal(pos)
	if err != nil {
		panic("cursor: " + err.Error()) // strings only: cannot happen
	}
	raw := append([]byte{cursorVersion}, payload...)
	raw = append(raw, mac(c.keys.CursorKeys()[0], list, query, raw)...)
	return base64.RawURLEncoding.EncodeToString(raw)
}

// open returns the position a cursor of the list and query holds; the
// zero position for no cursor, errInvalidCursor for anything not sealed by
// seal for this very list and query under a key of the ring.
func (c cursorCodec) open(list, query, cursor string) (position, error) {
	if cursor == "" {
		return position{}, nil
	}
	if len(cursor) > MaxCursorLen {
		return position{}, errInvalidCursor
	}
	// Strict: the last character's spare bits must be zero, or two
	// spellings would open alike and an edited cursor would pass.
	raw, err := base64.RawURLEncoding.Strict().DecodeString(cursor)
	if err != nil || len(raw) < 1+sha256.Size || raw[0] != cursorVersion {
		return position{}, errInvalidCursor
	}
	body, sum := raw[:len(raw)-sha256.Size], raw[len(raw)-sha256.Size:]
	if !slices.ContainsFunc(c.keys.CursorKeys(), func(key []byte) bool { return hmac.Equal(sum, mac(key, list, query, body)) }) {
		return position{}, errInvalidCursor
	}
	var pos position
	dec := json.NewDecoder(bytes.NewReader(body[1:]))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&pos); err != nil || (len(pos.Key) == 0 && pos.Part == "") {
		return position{}, errInvalidCursor
	}
	return pos, nil
}

// mac authenticates body for one list and query under key. Each part is length
// prefixed, so that no two (list, query) pairs read the same.
func mac(key []byte, list, query string, body []byte) []byte {
	m := hmac.New(sha256.New, key)
	var buf []byte
	for _, part := range []string{"pat-cursor", list, query} {
		buf = binary.AppendUvarint(buf, uint64(len(part)))
		buf = append(buf, part...)
	}
	m.Write(buf)
	m.Write(body)
	return m.Sum(nil)
}
