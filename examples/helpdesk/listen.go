package main

import (
	"context"
	"fmt"
	"io"
	"time"
)

// serve is -listen: the desk's inbound server on addr, without the tour,
// until ctx ends. Every mail that comes in is decided and its decision
// printed to w, as the tour prints its own.
func serve(ctx context.Context, w io.Writer, d *desk, addr string) error {
	srv, l, err := listen(d, addr)
	if err != nil {
		return err
	}
	mx := l.Addr().String()
	fmt.Fprintf(w, "Helpdesk for %s: inbound SMTP on %s until interrupted. Try:\n  swaks --server %s --from you@customer.example --to %s\n",
		d.names.support, mx, mx, d.names.platform)
	<-ctx.Done()
	fmt.Fprintln(w, "stopping")
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return srv.Close()
	}
	return nil
}
