package pat

import (
	"context"
	"strings"
	"unicode"
)

// Directory lists and finds users for administrators. A store serves each
// order from an index, a page at a time: never a scan, never a sort of what
// it read.
type Directory interface {
	// ListUsers lists users in q's order, those whose folded name (or
	// address) starts with q.Prefix folded, when it is set.
	ListUsers(ctx context.Context, q DirectoryQuery, p PageRequest) (Page[User], error)
	// FindUserByEmail returns the id of the one user with this address
	// (compared without case); ErrUserNotFound if none, CodeInvalid if
	// several share it.
	FindUserByEmail(ctx context.Context, email string) (string, error)
}

// DirectoryOrder is an order of the user directory.
type DirectoryOrder string

const (
	// OrderByName sorts users by name; a user without a name by their
	// address, then by id.
	OrderByName  DirectoryOrder = "name"
	OrderByEmail DirectoryOrder = "email" // users without an address are not in it
)

// DirectoryQuery selects a page of the directory.
type DirectoryQuery struct {
	Order  DirectoryOrder
	Prefix string // case-insensitive; empty: everyone
}

// Limits of what the directory takes and keeps.
const (
	MaxPrefixLen   = 100
	MaxUserNameLen = 200
)

// AdminListUsers lists the users the service has seen, sorted by name
// (default) or email, optionally those whose name or address starts with
// a prefix.
func (s *Service) AdminListUsers(ctx context.Context, id Identity, q DirectoryQuery, cursor string, limit int) (Page[User], error) {
	if err := s.requireAdmin(ctx, id); err != nil {
		return Page[User]{}, err
	}
	switch q.Order {
	case "":
		q.Order = OrderByName
	case OrderByName, OrderByEmail:
	default:
		return Page[User]{}, Errorf(CodeInvalid, "sort: want name or email")
	}
	q.Prefix = strings.TrimSpace(q.Prefix)
	if len([]rune(q.Prefix)) > MaxPrefixLen || strings.ContainsFunc(q.Prefix, unicode.IsControl) {
		return Page[User]{}, Errorf(CodeInvalid, "prefix: at most %d characters, no control characters", MaxPrefixLen)
	}
	p, err := pageRequest("admin-users", id, q, cursor, limit)
	if err != nil {
		return Page[User]{}, err
	}
	return s.directory.ListUsers(ctx, q, p)
}

// ownerByEmail reads an owner filter: an address (it holds an @) is
// resolved to its user's id; an address no user has, or any other value,
// is taken as an id (an identity provider may use addresses as ids).
func (s *Service) ownerByEmail(ctx context.Context, owner string) (string, error) {
	if !strings.Contains(owner, "@") {
		return owner, nil
	}
	userID, err := s.directory.FindUserByEmail(ctx, owner)
	if ErrorCode(err) == CodeNotFound {
		return owner, nil
	}
	return userID, err
}

// displayName is the name claim as the directory keeps it: one line of
// visible text, else none.
func displayName(name string) string {
	name, err := cleanText("name", name, MaxUserNameLen)
	if err != nil || strings.Contains(name, "\n") {
		return ""
	}
	return name
}
