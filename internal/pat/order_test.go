package pat

import "testing"

// The all-tokens list is newest first unless told otherwise; expires and
// lastUsed are served for every token only, and nothing else is an order.
func TestValidOrder(t *testing.T) {
	for _, c := range []struct {
		in   TokenFilter
		want TokenOrder
		ok   bool
	}{
		{TokenFilter{}, OrderNewest, true},
		{TokenFilter{Order: OrderNewest, OwnerID: "alice"}, OrderNewest, true},
		{TokenFilter{Order: OrderExpires}, OrderExpires, true},
		{TokenFilter{Order: OrderExpires, OwnerID: "alice"}, "", false},
		{TokenFilter{Order: OrderLastUsed}, OrderLastUsed, true},
		{TokenFilter{Order: OrderLastUsed, OwnerID: "alice"}, "", false},
		{TokenFilter{Order: "lastused"}, "", false},
		{TokenFilter{Order: "EXPIRES"}, "", false},
	} {
		f := c.in
		err := validOrder(&f)
		if c.ok != (err == nil) || (c.ok && f.Order != c.want) {
			t.Errorf("%+v: %q, %v", c.in, f.Order, err)
		}
		if err != nil && ErrorCode(err) != CodeInvalid {
			t.Errorf("%+v: %v is not a 400", c.in, err)
		}
	}
}
