// Package command parses the text of an `/atoms …` slash command into a typed
// Command. It knows nothing of Slack or Atoms, so it is cheap to fuzz.
package command

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Subcommands.
const (
	Help     = "help"
	Agents   = "agents"
	Status   = "status"
	Versions = "versions"
	Drafts   = "drafts"
	Diff     = "diff"
	Edit     = "edit"
	Promote  = "promote"
	Rollback = "rollback"
	Cancel   = "cancel"
	Watch    = "watch"
	Unwatch  = "unwatch"
	Call     = "call"
	History  = "history"
)

// MaxTextLen bounds the command text we parse. Slack's own limit is lower;
// this only protects the parser.
const MaxTextLen = 4000

// MaxLabelLen is the API's limit on a version label.
const MaxLabelLen = 200

// Command is a parsed `/atoms` invocation. Which fields are set depends on Name.
type Command struct {
	Name     string
	Agent    string // agent id or exact name
	Draft    string // draft id or name (diff, edit, promote)
	From     string // edit --from: the version a new draft starts from
	Version  string // version id, vN or branch/vN (rollback; first version of a two-version diff)
	Branch   string // versions: a branch other than the live one
	VersionB string // second version of a two-version diff
	Label    string // promote: the rest of the line
	Search   string // agents: the rest of the line
	Topic    string // help: the subcommand asked about
	Phone    string // call: a number to ring (E.164)
	Forget   bool   // call --forget: delete the remembered number
	Count    int    // history: how many promotions to show (0: the default)
}

// History bounds: how many promotions `/atoms history` shows by default and
// at most.
const (
	DefaultHistory = 10
	MaxHistory     = 50
)

// UsageError is a command that cannot be run as typed. Usage is the usage line
// (or the whole usage text) to show with Message.
type UsageError struct {
	Name    string // the subcommand, "" when unknown
	Message string
	Usage   string
	// OneLine: Message says all there is to say (an unclosed quote, a typo
	// with a suggestion); no usage text goes with it.
	OneLine bool
	// Quotable: the words after the subcommand may be a name with spaces
	// typed without quotes (too many arguments).
	Quotable bool
}

func (e *UsageError) Error() string {
	if e.Usage == "" {
		return e.Message
	}
	return e.Message + "\nUsage: " + e.Usage
}

type spec struct {
	usage   string
	summary string
	min     int // required positional arguments after the subcommand
	max     int // -1: the rest of the line is free text
}

var specs = map[string]spec{
	Help:     {"/atoms help [command]", "this help", 0, 1},
	Agents:   {"/atoms agents [search]", "list agents", 0, -1},
	Status:   {"/atoms status <agent>", "active version, open drafts, promotion in flight", 1, 1},
	Versions: {"/atoms versions <agent> [<branch>]", "published versions, newest first (of the live branch, or the branch named)", 1, 2},
	Drafts:   {"/atoms drafts <agent>", "open drafts", 1, 1},
	Diff:     {"/atoms diff <agent> [<draft>]  |  /atoms diff <agent> <version> <version>", "what a draft would change, or the difference between two versions", 1, 3},
	Edit:     {"/atoms edit <agent> [<draft>]  |  /atoms edit <agent> --from <version>", "edit a draft in a form (with none named, saving starts a new draft from the active version)", 1, 3},
	Promote:  {"/atoms promote <agent> <draft> [label…]", "publish a draft, get approval, activate once the security check passed", 2, -1},
	Rollback: {"/atoms rollback <agent> <version>", "activate an older version through the same approval flow", 2, 2},
	Cancel:   {"/atoms cancel <agent>", "cancel the promotion in flight", 1, 1},
	Watch:    {"/atoms watch <agent>", "announce here when the agent's active version changes", 1, 1},
	Unwatch:  {"/atoms unwatch <agent>", "stop announcing changes of the agent here", 1, 1},
	Call:     {"/atoms call <agent> [<draft>|<version>] [<phone>]  |  /atoms call --forget", "ring your phone with a draft, a version or the live version (a test call); --forget deletes your number", 1, 3},
	History:  {"/atoms history <agent> [n]", fmt.Sprintf("the last n promotions and rollbacks (default %d, at most %d): who asked, who approved or rejected, outcome, when and how long", DefaultHistory, MaxHistory), 1, 2},
}

// Order is the order subcommands are listed in the usage text.
var Order = []string{Help, Agents, Status, Versions, Drafts, Diff, Edit, Promote, Rollback, Cancel, History, Call, Watch, Unwatch}

// UsageOf returns the usage line of a subcommand ("" when unknown).
func UsageOf(name string) string { return specs[name].usage }

// SummaryOf returns the one-line description of a subcommand.
func SummaryOf(name string) string { return specs[name].summary }

// Parse parses the text after `/atoms`. An empty text is Help.
func Parse(text string) (Command, error) {
	if len(text) > MaxTextLen {
		return Command{}, &UsageError{Message: fmt.Sprintf("That command is too long (%d characters; at most %d).", len(text), MaxTextLen)}
	}
	if !utf8.ValidString(text) {
		return Command{}, &UsageError{Message: "That command is not valid text."}
	}
	words, rest, err := split(text, -1)
	var qe *quoteError
	if errors.As(err, &qe) {
		// A single quote left open in free text (a label) is an apostrophe.
		if !qe.Single || qe.Word == 0 {
			return Command{}, unclosed()
		}
		w, r, err2 := split(text, qe.Word)
		if err2 != nil {
			return Command{}, unclosed()
		}
		sp, ok := specs[strings.ToLower(w[0])]
		if !ok || sp.max >= 0 || qe.Word <= sp.min {
			return Command{}, unclosed()
		}
		words, rest, err = w, r, nil
	}
	if len(words) == 0 {
		return Command{Name: Help}, nil
	}
	name := strings.ToLower(words[0])
	sp, ok := specs[name]
	if !ok {
		return Command{}, unknown(words[0])
	}
	args := words[1:]
	if len(args) < sp.min {
		return Command{}, &UsageError{Name: name, Message: missing(name, len(args)), Usage: sp.usage}
	}
	if sp.max >= 0 && len(args) > sp.max {
		return Command{}, &UsageError{Name: name, Message: fmt.Sprintf("Too many arguments for `%s` (a name with spaces needs quotes).", name), Usage: sp.usage, Quotable: true}
	}
	positional := len(args)
	if sp.max < 0 {
		positional = min(positional, sp.min)
	}
	for _, a := range args[:positional] {
		if strings.TrimSpace(a) == "" {
			return Command{}, &UsageError{Name: name, Message: "An empty name (\"\") cannot name anything.", Usage: sp.usage}
		}
	}
	c := Command{Name: name}
	switch name {
	case Help:
		if len(args) == 1 {
			c.Topic = strings.ToLower(args[0])
		}
	case Agents:
		c.Search = freeText(args, 0, rest(1))
	case Status, Drafts, Cancel, Watch, Unwatch:
		c.Agent = args[0]
	case Versions:
		c.Agent = args[0]
		if len(args) == 2 {
			c.Branch = args[1]
		}
	case Diff:
		c.Agent = args[0]
		switch len(args) {
		case 2:
			c.Draft = args[1]
		case 3:
			c.Version, c.VersionB = args[1], args[2]
		}
	case Edit:
		c.Agent = args[0]
		switch {
		case len(args) == 3 && args[1] == "--from":
			c.From = args[2]
		case len(args) == 3 || slices.Contains(args, "--from"):
			// Three words without --from may be a draft name with spaces.
			return Command{}, &UsageError{Name: name, Message: "Name a draft to edit, or `--from <version>` to start a new draft from that version.", Usage: sp.usage, Quotable: !slices.Contains(args, "--from")}
		case len(args) == 2:
			c.Draft = args[1]
		}
	case Promote:
		c.Agent, c.Draft = args[0], args[1]
		c.Label = freeText(args, 2, rest(3))
		if utf8.RuneCountInString(c.Label) > MaxLabelLen {
			return Command{}, &UsageError{Name: name, Message: fmt.Sprintf("The label is too long (%d characters; at most %d).", utf8.RuneCountInString(c.Label), MaxLabelLen), Usage: sp.usage}
		}
	case Rollback:
		c.Agent, c.Version = args[0], args[1]
	case History:
		c.Agent = args[0]
		if len(args) == 2 {
			n, err := strconv.Atoi(args[1])
			if err != nil || n < 1 || n > MaxHistory {
				return Command{}, &UsageError{Name: name, Message: fmt.Sprintf("n is a number from 1 to %d (a name with spaces needs quotes).", MaxHistory), Usage: sp.usage, Quotable: err != nil}
			}
			c.Count = n
		}
	case Call:
		if args[0] == "--forget" {
			if len(args) > 1 {
				return Command{}, &UsageError{Name: name, Message: "`--forget` takes nothing else.", Usage: sp.usage}
			}
			c.Forget = true
			break
		}
		if strings.HasPrefix(args[0], "+") {
			// A number where the agent goes: say so without repeating it
			// (a phone number is not shown back in Slack).
			return Command{}, &UsageError{Name: name, Message: "Name the agent first; your number, if you give one, comes last.", Usage: sp.usage}
		}
		c.Agent, args = args[0], args[1:]
		if n := len(args); n > 0 && strings.HasPrefix(args[n-1], "+") {
			c.Phone, args = args[n-1], args[:n-1]
		}
		switch len(args) {
		case 0:
		case 1:
			if strings.HasPrefix(args[0], "+") {
				return Command{}, &UsageError{Name: name, Message: "Give one number, last.", Usage: sp.usage}
			}
			c.Draft = args[0]
		default:
			return Command{}, &UsageError{Name: name, Message: "Name one draft or version, then your number if you like (it starts with +).", Usage: sp.usage}
		}
	}
	for _, v := range []string{c.Agent, c.Draft, c.From, c.Version, c.VersionB, c.Branch} {
		if utf8.RuneCountInString(v) > MaxRefLen {
			return Command{}, &UsageError{Name: name, Message: fmt.Sprintf("That name is too long (at most %d characters).", MaxRefLen), Usage: sp.usage}
		}
	}
	return c, nil
}

// MaxRefLen bounds an agent, draft or version reference (agent names are
// free text; draft names are at most 100 characters in the API).
const MaxRefLen = 200

// freeText is the free-text argument starting at args[i]: one quoted word
// loses its quotes, several words keep the line as typed.
func freeText(args []string, i int, raw string) string {
	switch {
	case len(args) <= i:
		return ""
	case len(args) == i+1:
		return strings.TrimSpace(args[i])
	}
	return strings.TrimSpace(raw)
}

func missing(name string, got int) string {
	switch {
	case got == 0 && name == Promote:
		return "`promote` needs an agent and a draft."
	case got == 0 && name == Rollback:
		return "`rollback` needs an agent and a version."
	case got == 0:
		return fmt.Sprintf("`%s` needs an agent.", name)
	case name == Promote:
		return "`promote` needs a draft to publish (see `/atoms drafts <agent>`)."
	case name == Rollback:
		return "`rollback` needs the version to go back to (see `/atoms versions <agent>`)."
	}
	return fmt.Sprintf("`%s` needs more arguments.", name)
}

// Words is text cut into words as Parse cuts it (double or single quotes
// group words); nil when a quote is not closed.
func Words(text string) []string {
	words, _, err := split(text, -1)
	if err != nil {
		return nil
	}
	return words
}

// quoteError is a quote left open; Word is the index of the word it opened.
type quoteError struct {
	Word   int
	Single bool
}

func (e *quoteError) Error() string { return "a quote is not closed" }

func unclosed() *UsageError {
	return &UsageError{Message: "A quote is not closed: add the closing quote after the name.", OneLine: true}
}

// split cuts text into words; "double", “curly”, 'single' or ‘curly
// single’ quotes group words (Slack clients turn straight quotes into curly
// ones). A single quote opens only at the start of a word and closes only
// before a space or the end, so apostrophes (Bob's, it’s) stay text; from
// word literalFrom on (when ≥ 0) single quotes are always text. rest(n)
// returns the raw text from the start of word n on, so free-text arguments
// keep their spacing.
func split(text string, literalFrom int) (words []string, rest func(n int) string, err error) {
	var starts []int
	var cur strings.Builder
	in := false     // inside quotes
	inWord := false // building a word
	single := false // the open quote is a single one
	opened := 0     // the word the open quote began
	var close rune
	start := func(i int) {
		if !inWord {
			starts = append(starts, i)
			inWord = true
		}
	}
	for i, r := range text {
		switch {
		case in && !single && r == close:
			in = false
		case in && single && (r == '\'' || r == '’') && endsWord(text[i+utf8.RuneLen(r):]):
			in = false
		case !in && (r == '"' || r == '“' || r == '”'):
			in, single = true, false
			close = '"'
			if r == '“' || r == '”' {
				close = '”'
			}
			start(i)
			opened = len(starts) - 1
		case !in && !inWord && (r == '\'' || r == '‘' || r == '’') && (literalFrom < 0 || len(starts) < literalFrom):
			in, single = true, true
			start(i)
			opened = len(starts) - 1
		case !in && isSpace(r):
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			start(i)
			cur.WriteRune(r)
		}
	}
	if in {
		return nil, nil, &quoteError{Word: opened, Single: single}
	}
	if inWord {
		words = append(words, cur.String())
	}
	rest = func(n int) string {
		if n >= len(starts) {
			return ""
		}
		return text[starts[n]:]
	}
	return words, rest, nil
}

// endsWord reports whether after (the text following a quote) starts with a
// space or is empty.
func endsWord(after string) bool {
	r, _ := utf8.DecodeRuneInString(after)
	return after == "" || isSpace(r)
}

// unknown is the error for a subcommand that does not exist: one line naming
// the nearest one when the word looks like a typo of it, else the usage text.
func unknown(word string) *UsageError {
	lw := strings.ToLower(word)
	best, bestD := "", 0
	for _, name := range Order {
		d := Distance(lw, name)
		if best == "" || d < bestD {
			best, bestD = name, d
		}
	}
	if bestD <= max(1, min(2, utf8.RuneCountInString(best)/3)) {
		return &UsageError{Message: fmt.Sprintf("I don't know the command %q — did you mean `%s`?", word, best), OneLine: true}
	}
	return &UsageError{Message: fmt.Sprintf("I don't know the command %q.", word)}
}

// Distance is the edit distance (Levenshtein, in runes) between a and b;
// strings over 200 runes count as their length apart.
func Distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	if len(ra) > 200 || len(rb) > 200 {
		return max(len(ra), len(rb))
	}
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

func isSpace(r rune) bool {
	return r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\u00a0'
}
