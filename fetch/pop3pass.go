package fetch

import (
	"context"
	"errors"
	"net"
	"slices"

	"github.com/deskmail/deskmail/fetch/pop3"
)

// maxPOP3Line bounds a POP3 response line: RFC 1939 allows 512 octets.
const maxPOP3Line = 8 << 10

// fetchPOP3 is Fetch for a POP3 source.
func (f *Fetcher) fetchPOP3(ctx context.Context, src *Source, res *Result) error {
	conn, err := f.dial(ctx, src)
	if err != nil {
		return err
	}
	stop := closeOnDone(ctx, conn)
	defer stop()
	defer conn.Close()
	c, err := pop3.NewClient(ctx, conn, &pop3.Options{
		MaxLineBytes: min(maxPOP3Line, f.o.MaxLineBytes), MaxMessageBytes: f.o.MaxMessageBytes, Timeout: f.o.Timeout,
	})
	if err != nil {
		return src.connErr("greeting", err)
	}
	defer c.Close()
	if src.tlsMode() == TLSStartTLS {
		caps, err := c.Capabilities(ctx)
		if err != nil {
			return src.connErr("starttls", err)
		}
		if _, ok := caps["STLS"]; !ok {
			return src.connErr("starttls", errors.New("the server does not offer STLS"))
		}
		if err := c.StartTLS(ctx, src.tlsConfig()); err != nil {
			return src.connErr("starttls", err)
		}
	}
	if err := pop3Login(ctx, c, src, conn); err != nil {
		return err
	}
	if err := f.popPass(ctx, c, src, res); err != nil {
		var he *hostError
		if errors.As(err, &he) {
			// Commit the deletions of what was done before the host failed.
			c.Quit(context.WithoutCancel(ctx))
		}
		return err
	}
	if err := c.Quit(ctx); err != nil {
		return src.connErr("quit", err)
	}
	return nil
}

func pop3Login(ctx context.Context, c *pop3.Client, src *Source, conn net.Conn) error {
	var err error
	if src.mechanism() == MechPassword {
		err = c.Login(ctx, src.Username, src.Password)
	} else {
		port := 0
		if ta, ok := conn.RemoteAddr().(*net.TCPAddr); ok {
			port = ta.Port
		}
		a, serr := src.saslClient(ctx, src.Host, port)
		if serr != nil {
			return src.authErr(serr)
		}
		err = c.Auth(ctx, a)
	}
	var pe *pop3.Error
	switch {
	case err == nil:
		return nil
	case errors.As(err, &pe) && pe.Temporary():
		// [SYS/TEMP], [IN-USE], [LOGIN-DELAY]: the server's trouble, not
		// the credentials'.
		return src.connErr("login", err)
	case errors.As(err, &pe):
		return src.authErr(err)
	}
	return src.connErr("login", err)
}

// popPass reads the messages of the mailbox that are not done yet.
func (f *Fetcher) popPass(ctx context.Context, c *pop3.Client, src *Source, res *Result) error {
	uidl, err := c.UIDL(ctx)
	if err != nil {
		return src.connErr("list", err)
	}
	sizes, err := c.List(ctx)
	if err != nil {
		return src.connErr("list", err)
	}
	size := make(map[int]int64, len(sizes))
	for _, m := range sizes {
		size[m.ID] = m.Size
	}
	onServer := make(map[string]bool, len(uidl))
	for _, m := range uidl {
		onServer[m.UID] = true
	}
	// Prune the ids that left the server; on the first fetch with
	// OnlyNew, every id on the server is done.
	var done map[string]bool
	err = f.saveState(ctx, src, func(s *State) {
		if s.LastFetch.IsZero() && len(s.UIDLs) == 0 && src.OnlyNew {
			s.UIDLs = make([]string, 0, len(uidl))
			for _, m := range uidl {
				s.UIDLs = append(s.UIDLs, m.UID)
			}
		} else {
			s.UIDLs = slices.DeleteFunc(s.UIDLs, func(u string) bool { return !onServer[u] })
		}
		done = make(map[string]bool, len(s.UIDLs))
		for _, u := range s.UIDLs {
			done[u] = true
		}
		if s.LastFetch.IsZero() {
			s.LastFetch = f.o.Now().UTC()
		}
	})
	if err != nil {
		return err
	}
	del := src.after() == AfterDelete
	fetched := 0
	for _, m := range uidl {
		if done[m.UID] {
			if del && size[m.ID] <= int64(f.o.MaxMessageBytes) {
				// Done by an earlier session that ended before QUIT.
				if err := c.Dele(ctx, m.ID); err != nil {
					return src.connErr("flag", err)
				}
			}
			continue
		}
		if fetched >= f.o.MaxPerFetch {
			res.More = true
			break
		}
		if size[m.ID] > int64(f.o.MaxMessageBytes) {
			res.Skipped = append(res.Skipped, Skipped{UID: m.UID, Size: size[m.ID], Reason: "too_large"})
			if err := f.markUIDL(ctx, src, m.UID); err != nil {
				return err
			}
			continue
		}
		fetched++
		raw, err := c.Retr(ctx, m.ID)
		if err != nil {
			if errors.Is(err, pop3.ErrTooLong) {
				// Larger than announced: left on the server, and done, so
				// that it does not stop every later fetch.
				res.Skipped = append(res.Skipped, Skipped{UID: m.UID, Size: size[m.ID], Reason: "too_large"})
				f.markUIDL(context.WithoutCancel(ctx), src, m.UID)
			}
			return src.connErr("fetch", err)
		}
		if _, err := f.deliver(ctx, src, res, raw); err != nil {
			return err
		}
		if err := f.markUIDL(ctx, src, m.UID); err != nil {
			return err
		}
		if del {
			if err := c.Dele(ctx, m.ID); err != nil {
				return src.connErr("flag", err)
			}
		}
	}
	return f.saveState(ctx, src, func(s *State) { s.LastFetch = f.o.Now().UTC() })
}

// markUIDL records uid as done.
func (f *Fetcher) markUIDL(ctx context.Context, src *Source, uid string) error {
	return f.saveState(ctx, src, func(s *State) {
		if !slices.Contains(s.UIDLs, uid) {
			s.UIDLs = append(s.UIDLs, uid)
		}
	})
}
