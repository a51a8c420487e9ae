package pat

import (
	"context"
	"errors"
	"fmt"
)

// GetMe returns the caller as the console needs them: their account's status
// and an administrator's limit from the stored record, with the permissions
// of this session (what the next create or rotate would store). Its
// Effective() is therefore this session's grants narrowed by the limit: what
// a token created now may hold. It only reads; a caller never seen before is
// an active user with no record yet.
func (s *Service) GetMe(ctx context.Context, id Identity) (User, error) {
	u, err := s.users.GetUser(ctx, id.UserID)
	if errors.Is(err, ErrUserNotFound) {
		u, err = User{ID: id.UserID, Status: UserActive}, nil
	}
	if err != nil {
		return User{}, fmt.Errorf("get user %s: %w", id.UserID, err)
	}
	u.Email, u.Permissions = id.Email, id.Permissions
	return u, nil
}

// Rules returns the rules an operator tuned: lifetimes and the token cap.
func (s *Service) Rules() Config { return s.cfg }
