package mirrorsync

import (
	"context"
	"log/slog"
)

func runRetire(ctx context.Context, args []string, env Env, log *slog.Logger) error { return nil }
