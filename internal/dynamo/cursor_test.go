package dynamo

import (
	"encoding/base64"
	"reflect"
	"strings"
	"testing"

	"github.com/patservice/pat/internal/pat"
)

// The cursor codec gives back exactly the position it sealed, for the list
// and query it sealed it for, under the key it sealed it with; anything else
// is invalid_cursor.
func TestCursorCodec(t *testing.T) {
	codec := cursorCodec{keys: StaticCursorKeys{[]byte("0123456789abcdef0123456789abcdef")}}
	const list, query = `["tokens","user-alice","null"]`, "tokens|byOwner|ownerPk = :owner"
	positions := []position{
		{Key: map[string]string{"pk": "TOKEN#a", "sk": "TOKEN", "ownerPk": "USER#alice", "ownerSk": "2026-01-01T00:00:00.000000Z#a"}},
		{Part: "2026-03"},
		{Key: map[string]string{"pk": "TOKEN#a", "sk": "2026-03-01T00:00:00.000000Z#e", "month": "2026-03"}, Part: "2026-03"},
		{Key: map[string]string{"pk": "ünïcödé \"quoted\" \\ / + =", "sk": strings.Repeat("s", 200)}},
	}
	for _, pos := range positions {
		c := codec.seal(list, query, pos)
		if len(c) > MaxCursorLen {
			t.Fatalf("sealed %d characters, over the %d accepted", len(c), MaxCursorLen)
		}
		got, err := codec.open(list, query, c)
		if err != nil || !reflect.DeepEqual(got, pos) {
			t.Fatalf("round trip of %+v: %+v, %v", pos, got, err)
		}
	}
	if got, err := codec.open(list, query, ""); err != nil || !reflect.DeepEqual(got, position{}) {
		t.Fatalf("no cursor: %+v, %v", got, err)
	}

	good := codec.seal(list, query, positions[0])
	raw, _ := base64.RawURLEncoding.DecodeString(good)
	reseal := func(edit func([]byte) []byte) string {
		b := edit(append([]byte(nil), raw...))
		return base64.RawURLEncoding.EncodeToString(b)
	}
	// A payload the codec never seals, under a valid MAC: refused too.
	sealedRaw := func(payload string) string {
		body := append([]byte{cursorVersion}, payload...)
		return base64.RawURLEncoding.EncodeToString(append(body, mac([]byte("0123456789abcdef0123456789abcdef"), list, query, body)...))
	}
	for _, c := range []struct {
		name, list, query, cursor string
		key                       string
	}{
		{name: "another list (route, caller or filter)", list: `["tokens","user-bob","null"]`, cursor: good},
		{name: "another query", query: "tokens||", cursor: good},
		{name: "another key", key: "another key of 32 bytes or more!!", cursor: good},
		{name: "garbage", cursor: "!!!"},
		{name: "base64 of nothing", cursor: "AAAA"},
		{name: "raw key as JSON, the old format", cursor: base64.RawURLEncoding.EncodeToString([]byte(`{"pk":"TOKEN#x"}`))},
		{name: "padded base64", cursor: good + "=="},
		{name: "standard alphabet", cursor: base64.StdEncoding.EncodeToString(raw)},
		{name: "over-long", cursor: strings.Repeat("A", MaxCursorLen+1)},
		{name: "over-long, valid up to its end", cursor: good + strings.Repeat("A", MaxCursorLen)},
		{name: "last character's spare bits set", cursor: good[:len(good)-1] + spareBits(good[len(good)-1:])},
		{name: "payload edited", cursor: reseal(func(b []byte) []byte { b[5] ^= 1; return b })},
		{name: "MAC edited", cursor: reseal(func(b []byte) []byte { b[len(b)-1] ^= 0x80; return b })},
		{name: "version edited", cursor: reseal(func(b []byte) []byte { b[0] = 2; return b })},
		{name: "MAC cut", cursor: reseal(func(b []byte) []byte { return b[:len(b)-1] })},
		{name: "MAC only", cursor: reseal(func(b []byte) []byte { return b[len(b)-32:] })},
		{name: "payload appended", cursor: reseal(func(b []byte) []byte { return append(b, '}') })},
		{name: "sealed: not JSON", cursor: sealedRaw("not json")},
		{name: "sealed: unknown field", cursor: sealedRaw(`{"k":{"pk":"a"},"x":1}`)},
		{name: "sealed: empty position", cursor: sealedRaw(`{}`)},
		{name: "sealed: key of numbers", cursor: sealedRaw(`{"k":{"pk":1}}`)},
	} {
		t.Run(c.name, func(t *testing.T) {
			l, q, k := list, query, codec
			if c.list != "" {
				l = c.list
			}
			if c.query != "" {
				q = c.query
			}
			if c.key != "" {
				k = cursorCodec{keys: StaticCursorKeys{[]byte(c.key)}}
			}
			pos, err := k.open(l, q, c.cursor)
			if pat.ErrorCode(err) != pat.CodeInvalidCursor {
				t.Fatalf("opened as %+v, %v", pos, err)
			}
		})
	}
}

// Two fresh stores seal with different keys, and SetCursorKey refuses a
// short key.
func TestCursorKeys(t *testing.T) {
	a, b := NewStore(nil, "t", "a"), NewStore(nil, "t", "a")
	c := a.cursors.seal("l", "q", position{Part: "p"})
	if _, err := b.cursors.open("l", "q", c); err == nil {
		t.Fatal("two random keys are alike")
	}
	if err := b.SetCursorKey([]byte("short")); err == nil {
		t.Fatal("a 5-byte key was taken")
	}
	key := []byte("0123456789abcdef0123456789abcdef")
	if err := a.SetCursorKey(key); err != nil {
		t.Fatal(err)
	}
	if err := b.SetCursorKey(key); err != nil {
		t.Fatal(err)
	}
	if _, err := b.cursors.open("l", "q", a.cursors.seal("l", "q", position{Part: "p"})); err != nil {
		t.Fatalf("same key: %v", err)
	}
}

// A rotation: the ring's previous key still opens the cursors it sealed,
// while the new current key seals; a key two rotations old opens nothing.
func TestCursorKeyRotation(t *testing.T) {
	k1, k2, k3 := []byte("key one: 32 bytes or more, really"), []byte("key two: 32 bytes or more, really"), []byte("key three: 32 bytes or more, yes")
	before := cursorCodec{keys: StaticCursorKeys{k1}}.seal("l", "q", position{Part: "p"})
	once := cursorCodec{keys: StaticCursorKeys{k2, k1}}
	if pos, err := once.open("l", "q", before); err != nil || pos.Part != "p" {
		t.Fatalf("a cursor of the previous key after one rotation: %+v %v", pos, err)
	}
	after := once.seal("l", "q", position{Part: "p"})
	if _, err := (cursorCodec{keys: StaticCursorKeys{k2}}).open("l", "q", after); err != nil {
		t.Fatalf("sealed after the rotation, not with the current key: %v", err)
	}
	twice := cursorCodec{keys: StaticCursorKeys{k3, k2}}
	if _, err := twice.open("l", "q", before); pat.ErrorCode(err) != pat.CodeInvalidCursor {
		t.Fatalf("a cursor of a key two rotations old: %v, want invalid_cursor", err)
	}
	if _, err := twice.open("l", "q", after); err != nil {
		t.Fatalf("a cursor of the previous key after the second rotation: %v", err)
	}
}

// spareBits is a base64url character with the same leading bits as c but
// others in the bits a final character leaves unused.
func spareBits(c string) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	return string(alphabet[strings.Index(alphabet, c)^1])
}
