package main

import (
	"context"
	"errors"
)

// runSocketMode is being built (issue 6).
func (a *app) runSocketMode(ctx context.Context) error {
	return errors.New("socket mode is not available yet")
}
