package imapacl

// Command names an operation whose rights RFC 4314 §4 lists.
type Command int

// The operations of RFC 4314 §4's table that need fixed rights; the
// rights that depend on the flags (STORE, APPEND, COPY) are FlagRights's.
const (
	List        Command = iota // LIST, LSUB: l
	Subscribe                  // SUBSCRIBE: l
	Create                     // CREATE: k on the parent
	Delete                     // DELETE: x
	RenameFrom                 // RENAME: x on the old name
	RenameTo                   // RENAME: k on the new parent
	Select                     // SELECT, EXAMINE: r
	Status                     // STATUS: r
	ACLAdmin                   // SETACL, DELETEACL, GETACL, LISTRIGHTS: a
	MyRights                   // MYRIGHTS: any right
	AppendTo                   // APPEND, COPY and MOVE destination: i
	ExpungeMsgs                // EXPUNGE, UID EXPUNGE: e
	MoveFrom                   // MOVE source: t and e (RFC 6851 §4.2: COPY, STORE \Deleted, EXPUNGE)
	GetMetadata                // GETMETADATA: r (RFC 5464 §4.2: l and r)
	SetMetadata                // SETMETADATA: w (RFC 5464 §4.3)
	numCommands
)

// need is the table of RFC 4314 §4, by Command.
var need = [numCommands]Rights{
	List:        Lookup,
	Subscribe:   Lookup,
	Create:      CreateMailbox,
	Delete:      DeleteMailbox,
	RenameFrom:  DeleteMailbox,
	RenameTo:    CreateMailbox,
	Select:      Read,
	Status:      Read,
	ACLAdmin:    Admin,
	MyRights:    0, // any right (§4 "Any"): see Allows
	AppendTo:    Insert,
	ExpungeMsgs: Expunge,
	MoveFrom:    DeleteMessage | Expunge,
	GetMetadata: Lookup | Read,
	SetMetadata: Lookup | Write,
}

// Needs returns the rights cmd needs.
func Needs(cmd Command) Rights { return need[cmd] }

// Allows reports whether rights permit cmd: all of Needs(cmd), and at
// least one right for MYRIGHTS.
func Allows(rights Rights, cmd Command) bool {
	if cmd == MyRights {
		return rights != 0
	}
	return rights.Has(need[cmd])
}

// Visible reports whether a mailbox's existence may be told to a user
// with rights: one with neither "l" nor "r" gets the answer for a
// mailbox that does not exist (RFC 4314 §4, §6).
func Visible(rights Rights) bool { return rights&(Lookup|Read) != 0 }

// Flag kinds for FlagRights.
const (
	FlagSeen    = 1 << iota // \Seen
	FlagDeleted             // \Deleted
	FlagOther               // any other flag or keyword
)

// FlagRights returns the rights that setting or clearing the flags of
// kinds needs (RFC 4314 §4 STORE, APPEND, COPY): "s" for \Seen, "t" for
// \Deleted, "w" for the others.
func FlagRights(kinds int) Rights {
	var r Rights
	if kinds&FlagSeen != 0 {
		r |= Seen
	}
	if kinds&FlagDeleted != 0 {
		r |= DeleteMessage
	}
	if kinds&FlagOther != 0 {
		r |= Write
	}
	return r
}

// ReadOnly reports whether SELECT on a mailbox with rights answers
// READ-ONLY: none of the rights that change the mailbox through a
// selected session ("s", "w", "i", "t", "e").
func ReadOnly(rights Rights) bool {
	return rights&(Seen|Write|Insert|DeleteMessage|Expunge) == 0
}
