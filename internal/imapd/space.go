package imapd

// Space tells how many octets may still be stored before the free space
// of the data directory falls below its floor (README "Storage":
// min_free_space); *spool.Space implements it, with statfs cached.
type Space interface {
	Room() int64
}

// appendRoom is the largest APPEND message, up to limit, that the disk
// can take now. Below limit, a larger literal is refused before the
// client sends it with NO [UNAVAILABLE]: RFC 5530 has no code for a full
// disk, and UNAVAILABLE (a temporary failure of a subsystem, §3) tells the
// client to try again later; session.storeError answers the same when a
// write fails on a full disk.
func (s *session) appendRoom(limit int64) int64 {
	if s.srv.space == nil {
		return limit
	}
	return min(limit, max(s.srv.space.Room(), 0))
}
