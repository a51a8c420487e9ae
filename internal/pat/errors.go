package pat

import (
	"errors"
	"fmt"
)

// Code is a stable, machine-readable error code. Clients may rely on it;
// the HTTP layer maps each to one status.
type Code string

const (
	CodeInvalid           Code = "invalid_request"
	CodeInvalidCursor     Code = "invalid_cursor" // not a nextCursor this list gave this caller for this filter
	CodeBodyTooLarge      Code = "body_too_large"
	CodeUnsupportedMedia  Code = "unsupported_media_type"
	CodeUnknownScope      Code = "unknown_scope"
	CodeScopeNotPermitted Code = "scope_not_permitted"
	CodeNoPermissions     Code = "no_permissions" // the caller holds no permission at all: nothing to create a token with
	CodeUnauthenticated   Code = "unauthenticated"
	CodeUserDisabled      Code = "user_disabled"
	CodeForbidden         Code = "forbidden" // an administrator's route, and the caller is none
	// A mass revocation names how many tokens it expects to revoke: missing,
	// the request is refused with the count (a preview); wrong, likewise.
	CodeConfirmationRequired Code = "confirmation_required"
	CodeConfirmationMismatch Code = "confirmation_mismatch"
	CodeNotFound             Code = "not_found"
	CodeTokenNotActive       Code = "token_not_active"
	CodeTokenLocked          Code = "token_locked" // changing a token an administrator locked
	CodeTokenLimit           Code = "token_limit_reached"
	CodeConflict             Code = "conflict"
	// An administrator changing their own account's status or limit: only
	// another administrator may, so that nobody locks out the last one.
	CodeOwnAccount Code = "own_account"
	CodeInternal   Code = "internal"
)

// Codes lists every Code above, for the tables keyed by code (the HTTP
// status of each, its problem page, the API document) to be checked
// against all of them. A test holds it to the constants declared here.
func Codes() []Code {
	return []Code{
		CodeInvalid, CodeInvalidCursor, CodeBodyTooLarge, CodeUnsupportedMedia, CodeUnknownScope,
		CodeScopeNotPermitted, CodeNoPermissions, CodeUnauthenticated, CodeUserDisabled, CodeForbidden,
		CodeConfirmationRequired, CodeConfirmationMismatch, CodeNotFound, CodeTokenNotActive,
		CodeTokenLocked, CodeTokenLimit, CodeConflict, CodeOwnAccount, CodeInternal,
	}
}

// Error is an error the caller can act on. Anything else is internal.
type Error struct {
	Code    Code
	Message string
	Scopes  []string // the scopes at fault, for unknown_scope and scope_not_permitted
	Count   *int     // the tokens a mass revocation would revoke, for the confirmation codes
}

func (e *Error) Error() string { return string(e.Code) + ": " + e.Message }

// Errorf returns an *Error with a formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of err, CodeInternal unless it wraps an *Error.
func ErrorCode(err error) Code {
	if e, ok := errors.AsType[*Error](err); ok {
		return e.Code
	}
	return CodeInternal
}
