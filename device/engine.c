// SPDX-License-Identifier: Apache-2.0
/*
 * The device command engine (see engine.h).
 *
 * dev_cmd_table_create() turns each syntax string, once, into a small
 * graph: a token per keyword or placeholder (every alternative of a group
 * is its own token) and, for each token, the list of tokens that may come
 * next and whether the command may end after it. Optional parts and
 * groups are first built with junction nodes (Thompson's construction) and
 * then closed over, so the graph used at run time has only tokens.
 *
 * A line is matched by walking all commands of the mode at once: the walk
 * holds a set of states (a command and the last token it matched) and
 * moves every state over one word at a time. Each way a word can be taken
 * has a class — exact keyword, keyword prefix, typed value (address,
 * number, interface name), any word — and only the best class present
 * survives, which gives IOS's rules: an exact keyword beats a prefix, two
 * different keywords sharing the prefix are ambiguous, a keyword beats a
 * WORD. A word no state can take is where the caret goes. States are
 * deduplicated per token, so a step costs at most one test per token of
 * the mode, whatever the line. Help and completion run the same walk over
 * the words before the cursor and then list what the states could take.
 */
#include "engine.h"

#include "engine-private.h"
#include "onm/ds.h"
#include "onm/util.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- roles ---- */

static const char *const role_names[] = {"viewer", "operator", "admin"};

/* Returns the name of role 'r'. */
const char *dev_role_name(enum dev_role r)
{
	return (unsigned)r < ARRAY_SIZE(role_names) ? role_names[r] : "unknown";
}

/* Parses a role name into '*r'; false for anything else. */
bool dev_role_parse(const char *s, enum dev_role *r)
{
	for (size_t i = 0; i < ARRAY_SIZE(role_names); i++) {
		if (s && !strcmp(s, role_names[i])) {
			*r = (enum dev_role)i;
			return true;
		}
	}
	return false;
}

/* ---- parsed syntax ---- */

enum tok_type {
	TOK_KEYWORD, /* a literal, matched by unique prefix */
	TOK_IPV4,    /* A.B.C.D */
	TOK_PREFIX,  /* A.B.C.D/M */
	TOK_RANGE,   /* (MIN-MAX) */
	TOK_WORD,    /* any one word */
	TOK_LINE,    /* the rest of the line */
	TOK_CONTEXT, /* IFNAME and other words from the session's word source */
};

struct tok {
	enum tok_type type;
	char *text;	/* keyword, or the placeholder as written ("IFNAME") */
	char *name;	/* from "$name", or NULL */
	char *help;	/* its line of the command's help */
	char *display;	/* as "?" shows it: keyword, "A.B.C.D", "<1-65535>" */
	long min, max;	/* TOK_RANGE: the bounds, inclusive */
	uint32_t *next; /* tokens that may follow (indices in the command) */
	uint32_t n_next;
	bool can_end; /* the command may end after this token */
};

struct gcmd {
	const struct dev_cmd *cmd; /* the declaration (caller's memory) */
	struct tok *toks;
	uint32_t n_toks;
	uint32_t *first; /* tokens a line may start with */
	uint32_t n_first;
	uint32_t tok_base; /* index of toks[0] among all tokens of the table */
};

struct dev_cmd_table {
	struct gcmd *cmds; /* built-ins first, then the caller's, in order */
	size_t n_cmds;
	uint32_t *mode_cmds[DEV_MODE_N]; /* indices of the commands of each mode */
	size_t n_mode_cmds[DEV_MODE_N];
	uint32_t n_toks; /* of all commands */
};

/* The parent of a config sub-mode, or DEV_MODE_N. */
static enum dev_mode mode_parent(enum dev_mode mode)
{
	return mode == DEV_MODE_CONFIG_IF || mode == DEV_MODE_CONFIG_ACL ? DEV_MODE_CONFIG
									 : DEV_MODE_N;
}

/* ---- parsing syntax strings ---- */

#define NODE_NONE UINT32_MAX
#define MAX_NESTING 8

/* A node of the construction graph: a token, or a junction where optional
 * parts and alternatives fork and join. */
struct pnode {
	int32_t tok;   /* index in the parser's tokens, or -1 for a junction */
	uint32_t *out; /* nodes that follow */
	size_t n_out, allocated;
};

struct syntax_parser {
	const char *s; /* the syntax string */
	size_t pos;    /* offset of the next character */
	char *error;   /* the first error, allocated */
	int depth;     /* of brackets */
	struct pnode *nodes;
	size_t n_nodes, nodes_allocated;
	struct tok *toks;
	size_t n_toks, toks_allocated;
};

static bool parse_seq(struct syntax_parser *, uint32_t *in, uint32_t *out);

static bool parse_fail(struct syntax_parser *p, const char *what)
{
	if (!p->error)
		p->error = xasprintf("%s at byte %zu", what, p->pos);
	return false;
}

static uint32_t new_node(struct syntax_parser *p, int32_t tok)
{
	p->nodes = xgrow(p->nodes, &p->nodes_allocated, p->n_nodes + 1, sizeof *p->nodes);
	p->nodes[p->n_nodes] = (struct pnode){.tok = tok};
	return (uint32_t)p->n_nodes++;
}

static void add_edge(struct syntax_parser *p, uint32_t from, uint32_t to)
{
	struct pnode *n = &p->nodes[from];

	n->out = xgrow(n->out, &n->allocated, n->n_out + 1, sizeof *n->out);
	n->out[n->n_out++] = to;
}

/* Adds a token and its node; returns the node. */
static uint32_t new_tok(struct syntax_parser *p, enum tok_type type, char *text)
{
	p->toks = xgrow(p->toks, &p->toks_allocated, p->n_toks + 1, sizeof *p->toks);
	p->toks[p->n_toks] = (struct tok){.type = type, .text = text};
	return new_node(p, (int32_t)p->n_toks++);
}

static bool is_name_char(char c, bool first)
{
	return isalpha((unsigned char)c) || c == '_' ||
	       (!first && (isdigit((unsigned char)c) || c == '-'));
}

/* Parses "$name" at the cursor, if there is one, into '*name'. */
static bool parse_name(struct syntax_parser *p, char **name)
{
	size_t start;

	*name = NULL;
	if (p->s[p->pos] != '$')
		return true;
	start = ++p->pos;
	while (is_name_char(p->s[p->pos], p->pos == start))
		p->pos++;
	if (p->pos == start)
		return parse_fail(p, "bad $name");
	*name = xmemdup0(p->s + start, p->pos - start);
	return true;
}

static bool is_keyword(const char *s)
{
	if (!islower((unsigned char)s[0]) && !isdigit((unsigned char)s[0]))
		return false;
	for (; *s; s++)
		if (!islower((unsigned char)*s) && !isdigit((unsigned char)*s) &&
		    !strchr("-_.:", *s))
			return false;
	return true;
}

/* An upper-case placeholder name such as IFNAME. */
static bool is_placeholder(const char *s)
{
	if (!isupper((unsigned char)s[0]))
		return false;
	for (; *s; s++)
		if (!isupper((unsigned char)*s) && !isdigit((unsigned char)*s) && *s != '_')
			return false;
	return true;
}

/* Parses one keyword or placeholder (with its "$name") into '*node'. */
static bool parse_token(struct syntax_parser *p, uint32_t *node)
{
	size_t start = p->pos;
	enum tok_type type;
	char *text, *name;

	while (p->s[p->pos] && !strchr(" \t()[]|${}", p->s[p->pos]))
		p->pos++;
	if (p->pos == start)
		return parse_fail(p,
				  p->s[p->pos] == '$' ? "$name without a token" : "bad character");
	text = xmemdup0(p->s + start, p->pos - start);
	if (!strcmp(text, "A.B.C.D"))
		type = TOK_IPV4;
	else if (!strcmp(text, "A.B.C.D/M"))
		type = TOK_PREFIX;
	else if (!strcmp(text, "WORD"))
		type = TOK_WORD;
	else if (!strcmp(text, "LINE"))
		type = TOK_LINE;
	else if (is_placeholder(text))
		type = TOK_CONTEXT;
	else if (is_keyword(text))
		type = TOK_KEYWORD;
	else {
		free(text);
		p->pos = start;
		return parse_fail(p, "neither a lower-case keyword nor a known placeholder");
	}
	*node = new_tok(p, type, text);
	if (!parse_name(p, &name))
		return false;
	p->toks[p->n_toks - 1].name = name;
	return true;
}

/* Parses a decimal integer of at most 18 digits with an optional '-'. */
static bool parse_long(const char *s, size_t len, long *v)
{
	bool neg = len && s[0] == '-';
	long x = 0;
	size_t i = neg;

	if (i == len || len - i > 18)
		return false;
	for (; i < len; i++) {
		if (!isdigit((unsigned char)s[i]))
			return false;
		x = x * 10 + (s[i] - '0');
	}
	*v = neg ? -x : x;
	return true;
}

/* "(MIN-MAX)" at the cursor: a range token. Returns false, without an
 * error, when the parentheses hold something else (a group). */
static bool try_range(struct syntax_parser *p, uint32_t *node, bool *ok)
{
	const char *s = p->s + p->pos + 1, *close = strchr(s, ')'), *dash;
	long min, max;
	char *name;

	*ok = true;
	if (!close)
		return false;
	dash = memchr(s + 1, '-', (size_t)(close - s) - (close > s));
	if (!dash || !parse_long(s, (size_t)(dash - s), &min) ||
	    !parse_long(dash + 1, (size_t)(close - dash - 1), &max))
		return false;
	if (min > max) {
		*ok = parse_fail(p, "empty range");
		return true;
	}
	p->pos = (size_t)(close - p->s) + 1;
	*node = new_tok(p, TOK_RANGE, xmemdup0(s - 1, (size_t)(close - s) + 2));
	p->toks[p->n_toks - 1].min = min;
	p->toks[p->n_toks - 1].max = max;
	p->toks[p->n_toks - 1].display = xasprintf("<%ld-%ld>", min, max);
	*ok = parse_name(p, &name);
	p->toks[p->n_toks - 1].name = name;
	return true;
}

/* Names the tokens a line may take first from node 'from' on (through
 * junctions), those that have no name of their own. */
static void name_entries(struct syntax_parser *p, uint32_t from, const char *name)
{
	uint32_t *stack = xmalloc(p->n_nodes * sizeof *stack + sizeof *stack);
	bool *seen = xcalloc(p->n_nodes, sizeof *seen);
	size_t sp = 0;

	stack[sp++] = from;
	while (sp) {
		struct pnode *n = &p->nodes[stack[--sp]];

		if (n->tok >= 0) {
			if (!p->toks[n->tok].name)
				p->toks[n->tok].name = xstrdup(name);
			continue;
		}
		for (size_t i = 0; i < n->n_out; i++)
			if (!seen[n->out[i]]) {
				seen[n->out[i]] = true;
				stack[sp++] = n->out[i];
			}
	}
	free(seen);
	free(stack);
}

/* Parses alternatives up to 'close' (the opening bracket is consumed):
 * "(a|b c)" or "[a|b]" (optional). A "$name" after ')' names the tokens
 * each alternative may start with, those without a name of their own
 * ("(a|(b|c))$x": a, b and c). */
static bool parse_group(struct syntax_parser *p, char close, uint32_t *in, uint32_t *out)
{
	uint32_t fork = new_node(p, -1), join = new_node(p, -1), a, b;
	char *name = NULL;
	bool ok = false;

	if (++p->depth > MAX_NESTING)
		return parse_fail(p, "too deeply nested");
	for (;;) {
		size_t t0 = p->n_toks;

		if (!parse_seq(p, &a, &b))
			goto out;
		if (p->n_toks == t0) {
			parse_fail(p, "empty alternative");
			goto out;
		}
		add_edge(p, fork, a);
		add_edge(p, b, join);
		if (p->s[p->pos] == '|') {
			p->pos++;
		} else if (p->s[p->pos] == close) {
			p->pos++;
			break;
		} else {
			parse_fail(p, close == ']' ? "missing ']'" : "missing ')'");
			goto out;
		}
	}
	if (close == ']')
		add_edge(p, fork, join);
	else if (!parse_name(p, &name))
		goto out;
	if (name)
		name_entries(p, fork, name);
	*in = fork;
	*out = join;
	ok = true;
out:
	p->depth--;
	free(name);
	return ok;
}

/* Parses a sequence of elements up to ')', ']', '|' or the end. */
static bool parse_seq(struct syntax_parser *p, uint32_t *in, uint32_t *out)
{
	uint32_t cur = new_node(p, -1), a, b;

	*in = cur;
	for (;;) {
		char c;
		bool ok;

		while (p->s[p->pos] == ' ' || p->s[p->pos] == '\t')
			p->pos++;
		c = p->s[p->pos];
		if (!c || c == ')' || c == ']' || c == '|')
			break;
		if (c == '[') {
			p->pos++;
			if (!parse_group(p, ']', &a, &b))
				return false;
		} else if (c == '(') {
			if (try_range(p, &a, &ok)) {
				if (!ok)
					return false;
				b = a;
			} else {
				p->pos++;
				if (!parse_group(p, ')', &a, &b))
					return false;
			}
		} else {
			if (!parse_token(p, &a))
				return false;
			b = a;
		}
		add_edge(p, cur, a);
		cur = b;
	}
	*out = cur;
	return true;
}

/* The tokens reachable from node 'from' through junctions only, in
 * syntax order, into '*list'; '*can_end' when 'end' is reachable. */
static void closure(struct syntax_parser *p, uint32_t from, uint32_t end, uint32_t *stamp,
		    uint32_t mark, uint32_t **list, uint32_t *n, bool *can_end)
{
	uint32_t *stack = xmalloc(p->n_nodes * sizeof *stack + sizeof *stack);
	size_t sp = 0;

	*list = NULL;
	*n = 0;
	*can_end = false;
	/* Depth first, pushing a node's successors in reverse so that tokens
	 * come out in the order of the syntax string. */
	for (size_t i = p->nodes[from].n_out; i-- > 0;)
		stack[sp++] = p->nodes[from].out[i];
	while (sp) {
		uint32_t v = stack[--sp];
		struct pnode *nv = &p->nodes[v];

		if (stamp[v] == mark)
			continue;
		stamp[v] = mark;
		if (nv->tok >= 0) {
			*list = xrealloc(*list, (*n + 1) * sizeof **list);
			(*list)[(*n)++] = (uint32_t)nv->tok;
		} else if (v == end) {
			*can_end = true;
		} else {
			for (size_t i = nv->n_out; i-- > 0;)
				if (stamp[nv->out[i]] != mark)
					stack[sp++] = nv->out[i];
		}
	}
	free(stack);
}

static void tok_uninit(struct tok *t)
{
	free(t->text);
	free(t->name);
	free(t->help);
	free(t->display);
	free(t->next);
}

/* Gives each token its help line; false when the counts differ. */
static bool assign_help(struct syntax_parser *p, const char *help)
{
	const char *s = help;
	size_t i = 0;

	while (*s && i < p->n_toks) {
		const char *nl = strchr(s, '\n');
		size_t len = nl ? (size_t)(nl - s) : strlen(s);

		p->toks[i++].help = xmemdup0(s, len);
		s += len + (nl != NULL);
	}
	if (i < p->n_toks || *s) {
		p->error =
		    xasprintf("%zu tokens but %s help lines", p->n_toks, *s ? "more" : "fewer");
		return false;
	}
	return true;
}

/* Fills 'g' from the declaration 'cmd'; returns NULL or an error. */
static char *gcmd_parse(struct gcmd *g, const struct dev_cmd *cmd)
{
	struct syntax_parser p = {.s = cmd->syntax};
	uint32_t in, out, end, *stamp = NULL;
	bool can_end;

	memset(g, 0, sizeof *g);
	g->cmd = cmd;
	if (!cmd->handler || !cmd->help || !cmd->modes || cmd->modes >> DEV_MODE_N ||
	    (unsigned)cmd->role > DEV_ROLE_ADMIN) {
		p.error = xstrdup("no handler, help, modes or role");
		goto fail;
	}
	if (!parse_seq(&p, &in, &out))
		goto fail;
	if (p.s[p.pos]) {
		parse_fail(&p, p.s[p.pos] == '|' ? "'|' outside brackets" : "unbalanced bracket");
		goto fail;
	}
	if (!p.n_toks) {
		parse_fail(&p, "no token");
		goto fail;
	}
	if (!assign_help(&p, cmd->help))
		goto fail;
	end = new_node(&p, -1);
	add_edge(&p, out, end);

	stamp = xcalloc(p.n_nodes, sizeof *stamp);
	closure(&p, in, end, stamp, 1, &g->first, &g->n_first, &can_end);
	if (can_end) {
		parse_fail(&p, "a line of nothing matches");
		goto fail;
	}
	for (size_t i = 0; i < p.n_nodes; i++) {
		struct tok *t;

		if (p.nodes[i].tok < 0)
			continue;
		t = &p.toks[p.nodes[i].tok];
		closure(&p, (uint32_t)i, end, stamp, (uint32_t)i + 2, &t->next, &t->n_next,
			&t->can_end);
		if (t->type == TOK_LINE && (t->n_next || !t->can_end)) {
			p.error = xstrdup("LINE is not the last token");
			goto fail;
		}
		if (!t->display)
			t->display = xstrdup(t->text);
	}
	g->toks = p.toks;
	g->n_toks = (uint32_t)p.n_toks;
	p.toks = NULL;
fail:
	for (size_t i = 0; i < p.n_nodes; i++)
		free(p.nodes[i].out);
	free(p.nodes);
	for (size_t i = 0; p.toks && i < p.n_toks; i++)
		tok_uninit(&p.toks[i]);
	free(p.toks);
	free(stamp);
	if (p.error) {
		char *msg =
		    xasprintf("command \"%s\": %s", cmd->syntax ? cmd->syntax : "(null)", p.error);

		free(p.error);
		free(g->first);
		g->first = NULL;
		return msg;
	}
	return NULL;
}

static void gcmd_uninit(struct gcmd *g)
{
	for (uint32_t i = 0; i < g->n_toks; i++)
		tok_uninit(&g->toks[i]);
	free(g->toks);
	free(g->first);
}

/* Parses the built-ins and 'cmds' into a table; see engine.h. */
struct dev_cmd_table *dev_cmd_table_create(const struct dev_cmd *cmds, size_t n, char **error)
{
	struct dev_cmd_table *t = xzalloc(sizeof *t);
	size_t n_all = dev_n_builtin_cmds + n;

	*error = NULL;
	t->cmds = xcalloc(n_all ? n_all : 1, sizeof *t->cmds);
	for (size_t i = 0; i < n_all; i++) {
		const struct dev_cmd *c =
		    i < dev_n_builtin_cmds ? &dev_builtin_cmds[i] : &cmds[i - dev_n_builtin_cmds];

		*error = gcmd_parse(&t->cmds[i], c);
		if (*error) {
			dev_cmd_table_destroy(t);
			return NULL;
		}
		t->cmds[i].tok_base = t->n_toks;
		t->n_toks += t->cmds[i].n_toks;
		t->n_cmds++;
	}
	for (int m = 0; m < DEV_MODE_N; m++) {
		t->mode_cmds[m] = xcalloc(n_all ? n_all : 1, sizeof **t->mode_cmds);
		for (size_t i = 0; i < n_all; i++)
			if (t->cmds[i].cmd->modes & DEV_MODE_BIT(m))
				t->mode_cmds[m][t->n_mode_cmds[m]++] = (uint32_t)i;
	}
	return t;
}

/* Frees a table. NULL is fine. */
void dev_cmd_table_destroy(struct dev_cmd_table *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n_cmds; i++)
		gcmd_uninit(&t->cmds[i]);
	for (int m = 0; m < DEV_MODE_N; m++)
		free(t->mode_cmds[m]);
	free(t->cmds);
	free(t);
}

/* ---- what a word is ---- */

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

/* No control characters: what WORD and LINE accept. */
static bool is_clean(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return false;
	return true;
}

/* Scans a dotted quad (or a prefix of one when 'partial') at the start of
 * 's'; returns the bytes it takes, 0 when invalid. */
static size_t scan_ipv4(const char *s, size_t len, bool partial)
{
	size_t i = 0;

	for (int part = 0; part < 4; part++) {
		unsigned v = 0, digits = 0;

		while (i < len && isdigit((unsigned char)s[i]) && digits < 4) {
			v = v * 10 + (unsigned)(s[i++] - '0');
			digits++;
		}
		if (digits > 3 || v > 255)
			return 0;
		if (partial && i == len)
			return i;
		if (!digits)
			return 0;
		if (part < 3) {
			if (i == len || s[i] != '.')
				return 0;
			i++;
		}
	}
	return i;
}

static bool valid_ipv4(const char *s, size_t len)
{
	return len && scan_ipv4(s, len, false) == len;
}

static bool valid_prefix(const char *s, size_t len, bool partial)
{
	size_t i = scan_ipv4(s, len, partial);
	unsigned m = 0;

	if (!i)
		return false;
	if (i == len)
		return partial;
	if (s[i++] != '/' || (i == len && !partial) || len - i > 2)
		return false;
	for (; i < len; i++) {
		if (!isdigit((unsigned char)s[i]))
			return false;
		m = m * 10 + (unsigned)(s[i] - '0');
	}
	return m <= 32;
}

static bool valid_range(const struct tok *t, const char *s, size_t len, bool partial)
{
	long v;

	if (partial && len == 1 && s[0] == '-')
		return t->min < 0;
	if (!parse_long(s, len, &v))
		return false;
	if (partial) /* typing more digits moves away from zero */
		return v < 0 ? v >= t->min : v <= t->max;
	return v >= t->min && v <= t->max;
}

/* Splits an interface name into its letters and the rest ("0/1"). */
static size_t letters_len(const char *s, size_t len)
{
	size_t i = 0;

	while (i < len && (isalpha((unsigned char)s[i]) || s[i] == '-'))
		i++;
	return i;
}

/* Does 'w' name the interface 'cand'? The whole name in any case, or a
 * prefix of its letters with exactly its number part ("gi0/1"). Sets
 * '*exact' for the whole name. */
static bool ifname_matches(const char *cand, const char *w, size_t len, bool *exact)
{
	size_t clen = strlen(cand), cl = letters_len(cand, clen), wl = letters_len(w, len);

	*exact = clen == len && !strncasecmp(cand, w, len);
	if (*exact)
		return true;
	return wl && wl <= cl && !strncasecmp(cand, w, wl) && clen - cl == len - wl &&
	       !strncasecmp(cand + cl, w + wl, len - wl);
}

/* Could 'w' still become a name of 'cand' by typing more? */
static bool ifname_could_match(const char *cand, const char *w, size_t len)
{
	size_t clen = strlen(cand), cl = letters_len(cand, clen), wl = letters_len(w, len);

	if (len <= clen && !strncasecmp(cand, w, len))
		return true;
	return wl && wl <= cl && !strncasecmp(cand, w, wl) && len - wl <= clen - cl &&
	       !strncasecmp(cand + cl, w + wl, len - wl);
}

/* The candidates of context placeholder 't', never NULL. */
static const char *const *context_words(const struct tok *t, dev_words_fn *wfn, void *aux)
{
	static const char *const none[] = {NULL};
	const char *const *v = wfn ? wfn(aux, t->text) : NULL;

	return v ? v : none;
}

/* The one candidate 'w' names, or NULL (none, or several). IFNAME takes
 * interface abbreviations; other placeholders a unique prefix. */
static const char *context_resolve(const struct tok *t, const char *w, size_t len,
				   dev_words_fn *wfn, void *aux)
{
	const char *const *v = context_words(t, wfn, aux);
	const char *found = NULL;
	size_t n = 0;
	bool ifname = !strcmp(t->text, "IFNAME");

	for (; *v; v++) {
		bool exact, ok;

		if (ifname) {
			ok = ifname_matches(*v, w, len, &exact);
		} else {
			ok = strlen(*v) >= len && !strncasecmp(*v, w, len);
			exact = ok && strlen(*v) == len;
		}
		if (!ok || (found && !strcmp(found, *v)))
			continue;
		if (exact)
			return *v;
		found = *v;
		n++;
	}
	return n == 1 ? found : NULL;
}

/* ---- walking a line ---- */

enum mclass {
	MC_NONE,    /* the token does not take the word */
	MC_ANY,	    /* WORD, LINE */
	MC_VALUE,   /* an address, a number, an interface */
	MC_PARTIAL, /* a prefix of a keyword */
	MC_EXACT,   /* a keyword, whole */
};

/* How token 't' takes the word 's' ('len' bytes); '*canon' is the
 * interface (or other context word) it names. */
static enum mclass tok_class(const struct tok *t, const char *s, size_t len, dev_words_fn *wfn,
			     void *aux, const char **canon)
{
	size_t tl;

	if (canon)
		*canon = NULL;
	switch (t->type) {
	case TOK_KEYWORD:
		tl = strlen(t->text);
		if (len > tl || strncasecmp(t->text, s, len))
			return MC_NONE;
		return len == tl ? MC_EXACT : MC_PARTIAL;
	case TOK_IPV4:
		return valid_ipv4(s, len) ? MC_VALUE : MC_NONE;
	case TOK_PREFIX:
		return valid_prefix(s, len, false) ? MC_VALUE : MC_NONE;
	case TOK_RANGE:
		return valid_range(t, s, len, false) ? MC_VALUE : MC_NONE;
	case TOK_CONTEXT: {
		const char *c = context_resolve(t, s, len, wfn, aux);

		if (canon)
			*canon = c;
		return c ? MC_VALUE : MC_NONE;
	}
	case TOK_WORD:
	case TOK_LINE:
		return is_clean(s, len) ? MC_ANY : MC_NONE;
	}
	return MC_NONE;
}

#define PATH_NONE UINT32_MAX

struct span {
	size_t off, len; /* bytes of the line */
};

/* One way of reading the words so far: a command and the last token. */
struct state {
	uint32_t cmd;  /* index in the table */
	int32_t tok;   /* last token taken, -1 before the first word */
	uint32_t path; /* its entry in walk.paths, PATH_NONE before the first */
	bool rest;     /* the token is LINE: it takes every further word */
};

/* The word a state's token took, linked back to the previous one. */
struct path_entry {
	uint32_t parent; /* PATH_NONE for the first word */
	uint32_t word;	 /* index in walk.words */
	int32_t tok;
	uint32_t canon; /* offset of the context word in walk.pool, or PATH_NONE */
};

struct walk {
	const struct dev_cmd_table *table;
	const char *line;
	struct span *words;
	size_t n_words;
	dev_words_fn *wfn;
	void *waux;
	struct state *cur, *next; /* both of 'capacity' entries */
	size_t n_cur, n_next, capacity;
	struct path_entry *paths;
	size_t n_paths, paths_allocated;
	struct ds pool;	 /* context words, NUL-separated */
	uint32_t *stamp; /* per token of the table: the step that added it */
	uint32_t mark;
	enum dev_match_result result; /* when a step fails */
	size_t bad_word;	      /* the word it failed at */
};

static void walk_init(struct walk *w, const struct dev_cmd_table *table, enum dev_mode mode,
		      int max_role, const char *line, dev_words_fn *wfn, void *waux)
{
	size_t len = strlen(line), i = 0;

	memset(w, 0, sizeof *w);
	w->table = table;
	w->line = line;
	w->wfn = wfn;
	w->waux = waux;
	w->words = xmalloc((len / 2 + 1) * sizeof *w->words);
	while (i < len) {
		while (i < len && is_space(line[i]))
			i++;
		if (i == len)
			break;
		w->words[w->n_words].off = i;
		while (i < len && !is_space(line[i]))
			i++;
		w->words[w->n_words].len = i - w->words[w->n_words].off;
		w->n_words++;
	}
	w->capacity = table->n_mode_cmds[mode] + table->n_toks + 1;
	w->cur = xmalloc(w->capacity * sizeof *w->cur);
	w->next = xmalloc(w->capacity * sizeof *w->next);
	w->stamp = xcalloc(table->n_toks + 1, sizeof *w->stamp);
	ds_init(&w->pool);
	for (size_t c = 0; c < table->n_mode_cmds[mode]; c++) {
		uint32_t ci = table->mode_cmds[mode][c];

		if (max_role >= 0 && (int)table->cmds[ci].cmd->role > max_role)
			continue;
		w->cur[w->n_cur++] = (struct state){.cmd = ci, .tok = -1, .path = PATH_NONE};
	}
}

static void walk_uninit(struct walk *w)
{
	free(w->words);
	free(w->cur);
	free(w->next);
	free(w->paths);
	free(w->stamp);
	ds_destroy(&w->pool);
}

static const struct tok *state_tok(const struct walk *w, const struct state *st)
{
	return &w->table->cmds[st->cmd].toks[st->tok];
}

/* The tokens state 'st' may take next. */
static const uint32_t *state_next(const struct walk *w, const struct state *st, uint32_t *n)
{
	const struct gcmd *g = &w->table->cmds[st->cmd];

	if (st->rest) {
		*n = 0;
		return NULL;
	}
	if (st->tok < 0) {
		*n = g->n_first;
		return g->first;
	}
	*n = g->toks[st->tok].n_next;
	return g->toks[st->tok].next;
}

static bool state_can_end(const struct walk *w, const struct state *st)
{
	return st->rest || (st->tok >= 0 && state_tok(w, st)->can_end);
}

static void push_state(struct walk *w, uint32_t cmd, int32_t tok, uint32_t path, bool rest)
{
	uint32_t g = w->table->cmds[cmd].tok_base + (uint32_t)tok;

	if (w->stamp[g] == w->mark)
		return;
	w->stamp[g] = w->mark;
	w->next[w->n_next++] = (struct state){.cmd = cmd, .tok = tok, .path = path, .rest = rest};
}

/* Moves every state over word 'i'. Returns false (and sets the result)
 * when no state takes it or when it is an ambiguous keyword prefix. */
static bool walk_step(struct walk *w, size_t i)
{
	const char *s = w->line + w->words[i].off;
	size_t len = w->words[i].len;
	enum mclass best = MC_NONE;
	const char *partial_kw = NULL;
	bool ambiguous = false;

	/* First pass: the best class any token gives the word. */
	for (size_t k = 0; k < w->n_cur; k++) {
		const struct state *st = &w->cur[k];
		const struct gcmd *g = &w->table->cmds[st->cmd];
		uint32_t n;
		const uint32_t *next = state_next(w, st, &n);

		if (st->rest && best < MC_ANY)
			best = MC_ANY;
		for (uint32_t j = 0; j < n; j++) {
			const struct tok *t = &g->toks[next[j]];
			enum mclass c = tok_class(t, s, len, w->wfn, w->waux, NULL);

			if (c == MC_PARTIAL) {
				if (partial_kw && strcmp(partial_kw, t->text))
					ambiguous = true;
				partial_kw = t->text;
			}
			if (c > best)
				best = c;
		}
	}
	if (best == MC_NONE || (best == MC_PARTIAL && ambiguous)) {
		w->result = best == MC_NONE ? DEV_MATCH_INVALID : DEV_MATCH_AMBIGUOUS;
		w->bad_word = i;
		return false;
	}

	/* Second pass: the states the best class leads to. */
	w->mark++;
	w->n_next = 0;
	for (size_t k = 0; k < w->n_cur; k++) {
		const struct state *st = &w->cur[k];
		const struct gcmd *g = &w->table->cmds[st->cmd];
		uint32_t n;
		const uint32_t *next = state_next(w, st, &n);

		if (st->rest) {
			if (best == MC_ANY)
				push_state(w, st->cmd, st->tok, st->path, true);
			continue;
		}
		for (uint32_t j = 0; j < n; j++) {
			const struct tok *t = &g->toks[next[j]];
			const char *canon;
			uint32_t coff = PATH_NONE;

			if (tok_class(t, s, len, w->wfn, w->waux, &canon) != best)
				continue;
			if (w->stamp[g->tok_base + next[j]] == w->mark)
				continue;
			if (canon) {
				coff = (uint32_t)w->pool.length;
				ds_put_buffer(&w->pool, canon, strlen(canon) + 1);
			}
			w->paths =
			    xgrow(w->paths, &w->paths_allocated, w->n_paths + 1, sizeof *w->paths);
			w->paths[w->n_paths] = (struct path_entry){.parent = st->path,
								   .word = (uint32_t)i,
								   .tok = (int32_t)next[j],
								   .canon = coff};
			push_state(w, st->cmd, (int32_t)next[j], (uint32_t)w->n_paths++,
				   t->type == TOK_LINE);
		}
	}
	struct state *tmp = w->cur;
	w->cur = w->next;
	w->next = tmp;
	w->n_cur = w->n_next;
	return true;
}

/* Walks words [0, n); false when one fails (see walk_step). */
static bool walk_words(struct walk *w, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!walk_step(w, i))
			return false;
	return true;
}

/* ---- arguments ---- */

struct dev_arg_entry {
	const char *name;    /* "$name", or NULL */
	const char *keyword; /* the keyword's text, NULL for values */
	char *value;	     /* as typed; keywords and interfaces in full */
};

struct dev_args {
	struct dev_arg_entry *v;
	size_t n;
	char *line; /* every keyword and interface written out */
};

static void args_destroy(struct dev_args *a)
{
	if (!a)
		return;
	for (size_t i = 0; i < a->n; i++)
		free(a->v[i].value);
	free(a->v);
	free(a->line);
	free(a);
}

/* The arguments of state 'st' after the walk. */
static struct dev_args *args_build(const struct walk *w, const struct state *st)
{
	const struct gcmd *g = &w->table->cmds[st->cmd];
	struct dev_args *a = xzalloc(sizeof *a);
	struct ds line = DS_EMPTY_INITIALIZER;
	size_t n = 0;

	for (uint32_t p = st->path; p != PATH_NONE; p = w->paths[p].parent)
		n++;
	a->v = xcalloc(n ? n : 1, sizeof *a->v);
	a->n = n;
	for (uint32_t p = st->path; p != PATH_NONE; p = w->paths[p].parent) {
		const struct path_entry *pe = &w->paths[p];
		const struct tok *t = &g->toks[pe->tok];
		const struct span *sp = &w->words[pe->word];
		struct dev_arg_entry *e = &a->v[--n];

		e->name = t->name;
		if (t->type == TOK_KEYWORD) {
			e->keyword = t->text;
			e->value = xstrdup(t->text);
		} else if (pe->canon != PATH_NONE) {
			e->value = xstrdup(w->pool.string + pe->canon);
		} else if (t->type == TOK_LINE) {
			size_t end = strlen(w->line);

			while (end > sp->off && is_space(w->line[end - 1]))
				end--;
			e->value = xmemdup0(w->line + sp->off, end - sp->off);
		} else {
			e->value = xmemdup0(w->line + sp->off, sp->len);
		}
		if (!e->name && !e->keyword)
			e->name = t->text;
	}
	for (size_t i = 0; i < a->n; i++)
		ds_put_format(&line, "%s%s", i ? " " : "", a->v[i].value);
	a->line = ds_steal_cstr(&line);
	return a;
}

/* The value of argument 'name'; see engine.h. */
const char *dev_arg(const struct dev_args *a, const char *name)
{
	/* A "$name" wins over a keyword of the same text ("length (0-512)$length"). */
	for (size_t i = 0; a && name && i < a->n; i++)
		if (a->v[i].name && !strcmp(a->v[i].name, name))
			return a->v[i].value;
	for (size_t i = 0; a && name && i < a->n; i++)
		if (a->v[i].keyword && !strcmp(a->v[i].keyword, name))
			return a->v[i].value;
	return NULL;
}

/* dev_arg() as a number, 'dflt' when absent or not a number. */
long dev_arg_int(const struct dev_args *a, const char *name, long dflt)
{
	const char *v = dev_arg(a, name);
	long x;

	return v && parse_long(v, strlen(v), &x) ? x : dflt;
}

/* The canonical line; see engine.h. */
const char *dev_args_line(const struct dev_args *a)
{
	return a ? a->line : "";
}

/* ---- matching ---- */

static bool line_is_empty(const char *line)
{
	while (is_space(*line))
		line++;
	return !*line || *line == '!';
}

/* Matches 'line' in 'mode' only; '*progress' is how many words it got
 * through (for choosing between a mode's error and its parent's). */
static void match_in(const struct dev_cmd_table *table, enum dev_mode mode, const char *line,
		     dev_words_fn *wfn, void *aux, struct dev_match *m, size_t *progress)
{
	struct walk w;

	memset(m, 0, sizeof *m);
	walk_init(&w, table, mode, -1, line, wfn, aux);
	if (!walk_words(&w, w.n_words)) {
		m->result = w.result;
		m->error_offset = w.words[w.bad_word].off;
		*progress = w.bad_word;
		goto out;
	}
	*progress = w.n_words;
	m->result = DEV_MATCH_INCOMPLETE;
	/* The first state that may end: built-ins, then the table's order. */
	for (size_t k = 0; k < w.n_cur; k++) {
		if (state_can_end(&w, &w.cur[k])) {
			m->result = DEV_MATCH_OK;
			m->cmd = table->cmds[w.cur[k].cmd].cmd;
			m->mode = mode;
			m->args = args_build(&w, &w.cur[k]);
			break;
		}
	}
out:
	walk_uninit(&w);
}

/* Matches a line in a mode and its parents; see engine.h. */
void dev_cmd_match(const struct dev_cmd_table *table, enum dev_mode mode, const char *line,
		   dev_words_fn *wfn, void *aux, struct dev_match *m)
{
	size_t progress, best_progress;

	memset(m, 0, sizeof *m);
	if ((unsigned)mode >= DEV_MODE_N) {
		m->result = DEV_MATCH_INVALID;
		return;
	}
	if (line_is_empty(line)) {
		m->result = DEV_MATCH_EMPTY;
		return;
	}
	match_in(table, mode, line, wfn, aux, m, &best_progress);
	/* A sub-mode's miss is tried in its parents; the error shown is the
	 * one that got furthest into the line, the sub-mode's on a tie. */
	for (enum dev_mode p = mode_parent(mode); m->result != DEV_MATCH_OK && p != DEV_MODE_N;
	     p = mode_parent(p)) {
		struct dev_match pm;

		match_in(table, p, line, wfn, aux, &pm, &progress);
		if (pm.result == DEV_MATCH_OK || progress > best_progress) {
			*m = pm;
			best_progress = progress;
		}
	}
}

/* Frees what a match holds. */
void dev_match_uninit(struct dev_match *m)
{
	if (!m)
		return;
	args_destroy(m->args);
	m->args = NULL;
}

/* ---- filters ---- */

static const struct {
	const char *name, *help;
	enum dev_filter filter;
	unsigned flag; /* the DEV_CMD_PIPE* flag of the commands that have it */
	bool regex;    /* a regular expression follows */
} filters[] = {
    {"begin", "Begin with the line that matches", DEV_FILTER_BEGIN, DEV_CMD_PIPE, true},
    {"count", "Count number of lines which match regexp", DEV_FILTER_COUNT, DEV_CMD_PIPE, true},
    {"exclude", "Exclude lines that match", DEV_FILTER_EXCLUDE, DEV_CMD_PIPE, true},
    {"include", "Include lines that match", DEV_FILTER_INCLUDE, DEV_CMD_PIPE, true},
    {"section", "Filter a section of output", DEV_FILTER_SECTION, DEV_CMD_PIPE, true},
    {"compare", "Compare configuration changes with prior version", DEV_FILTER_COMPARE,
     DEV_CMD_PIPE_COMPARE, false},
    {"count", "Count occurrences", DEV_FILTER_COUNT_LINES, DEV_CMD_PIPE_JUNOS, false},
    {"except", "Show only text that does not match a pattern", DEV_FILTER_EXCLUDE,
     DEV_CMD_PIPE_JUNOS, true},
    {"match", "Show only text that matches a pattern", DEV_FILTER_INCLUDE, DEV_CMD_PIPE_JUNOS,
     true},
};

/* Offset of the first "|" word; see engine-private.h. */
size_t dev_line_pipe_offset(const char *line)
{
	for (size_t i = 0; line[i]; i++)
		if (line[i] == '|' && (i == 0 || is_space(line[i - 1])) &&
		    (!line[i + 1] || is_space(line[i + 1])))
			return i;
	return SIZE_MAX;
}

/* The filter of a command with 'flags' named by 'len' bytes of 's'
 * (unique prefix), or -1. */
static int filter_find(const char *s, size_t len, unsigned flags)
{
	int found = -1;

	for (size_t i = 0; i < ARRAY_SIZE(filters); i++) {
		if (!(filters[i].flag & flags))
			continue;
		if (len <= strlen(filters[i].name) && !strncasecmp(filters[i].name, s, len)) {
			if (found >= 0)
				return -1;
			found = (int)i;
		}
	}
	return found;
}

/* Parses the part after "|"; see engine-private.h. */
enum dev_match_result dev_filter_parse(const char *text, unsigned flags, enum dev_filter *filter,
				       const char **regex, size_t *error_offset)
{
	size_t i = 0, start;
	int f;

	*filter = DEV_FILTER_NONE;
	*regex = NULL;
	*error_offset = 0;
	while (is_space(text[i]))
		i++;
	if (!text[i])
		return DEV_MATCH_INCOMPLETE;
	start = i;
	while (text[i] && !is_space(text[i]))
		i++;
	f = filter_find(text + start, i - start, flags);
	if (f < 0) {
		*error_offset = start;
		return DEV_MATCH_INVALID;
	}
	while (is_space(text[i]))
		i++;
	if (!filters[f].regex) {
		if (text[i]) {
			*error_offset = i;
			return DEV_MATCH_INVALID;
		}
		*filter = filters[f].filter;
		return DEV_MATCH_OK;
	}
	if (!text[i])
		return DEV_MATCH_INCOMPLETE;
	*filter = filters[f].filter;
	*regex = text + i;
	return DEV_MATCH_OK;
}

/* ---- help and completion ---- */

struct help_item {
	char *word;	  /* as listed */
	const char *help; /* the token's help line */
	bool keyword;	  /* keywords are sorted, placeholders come first */
};

struct help_list {
	struct help_item *v;
	size_t n, allocated;
	bool cr;   /* the line may end here: "<cr>" */
	bool pipe; /* ... and be filtered: "|" */
};

static void help_add(struct help_list *l, const char *word, size_t len, const char *help,
		     bool keyword)
{
	for (size_t i = 0; i < l->n; i++)
		if (strlen(l->v[i].word) == len && !strncmp(l->v[i].word, word, len))
			return;
	l->v = xgrow(l->v, &l->allocated, l->n + 1, sizeof *l->v);
	l->v[l->n++] = (struct help_item){xmemdup0(word, len), help, keyword};
}

static void help_list_uninit(struct help_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i].word);
	free(l->v);
}

/* Placeholders before keywords; keywords alphabetically. */
static int help_item_cmp(const struct help_item *a, const struct help_item *b)
{

	if (a->keyword != b->keyword)
		return a->keyword ? 1 : -1;
	return a->keyword ? strcmp(a->word, b->word) : 0;
}

/* Sorts keywords after placeholders, which keep their order. */
static void help_sort(struct help_list *l)
{
	/* An insertion sort, stable so that placeholders keep their
	 * order; lists are short. */
	for (size_t i = 1; i < l->n; i++) {
		struct help_item x = l->v[i];
		size_t j = i;

		while (j > 0 && help_item_cmp(&l->v[j - 1], &x) > 0) {
			l->v[j] = l->v[j - 1];
			j--;
		}
		l->v[j] = x;
	}
}

/* "  word  help" lines, IOS style, then "|" and "<cr>". */
static char *help_format(struct help_list *l)
{
	struct ds out = DS_EMPTY_INITIALIZER;
	size_t width = l->pipe ? 1 : 0;

	help_sort(l);
	for (size_t i = 0; i < l->n; i++)
		if (strlen(l->v[i].word) > width)
			width = strlen(l->v[i].word);
	for (size_t i = 0; i < l->n; i++)
		ds_put_format(&out, "  %-*s  %s\n", (int)width, l->v[i].word, l->v[i].help);
	if (l->pipe)
		ds_put_format(&out, "  %-*s  %s\n", (int)width, "|", "Output modifiers");
	if (l->cr)
		ds_put_cstr(&out, "  <cr>\n");
	return ds_steal_cstr(&out);
}

/* "word  word" on one line: the completions of a partial word. */
static char *help_format_partial(struct help_list *l)
{
	struct ds out = DS_EMPTY_INITIALIZER;

	if (!l->n)
		return xstrdup("% Unrecognized command\n");
	help_sort(l);
	for (size_t i = 0; i < l->n; i++)
		ds_put_format(&out, "%s%s", i ? "  " : "", l->v[i].word);
	ds_put_char(&out, '\n');
	return ds_steal_cstr(&out);
}

/* Adds what token 't' offers after a space ('p' NULL) or for the partial
 * word 'p' ('plen' bytes). */
static void help_add_tok(struct help_list *l, const struct tok *t, const char *p, size_t plen,
			 dev_words_fn *wfn, void *aux)
{
	const char *const *v;

	switch (t->type) {
	case TOK_KEYWORD:
		if (!p || (plen <= strlen(t->text) && !strncasecmp(t->text, p, plen)))
			help_add(l, t->text, strlen(t->text), t->help, true);
		return;
	case TOK_CONTEXT:
		for (v = context_words(t, wfn, aux); *v; v++)
			if (!p || ifname_could_match(*v, p, plen))
				help_add(l, *v, strlen(*v), t->help, false);
		return;
	case TOK_IPV4:
		if (p && !scan_ipv4(p, plen, true))
			return;
		break;
	case TOK_PREFIX:
		if (p && !valid_prefix(p, plen, true))
			return;
		break;
	case TOK_RANGE:
		if (p && !valid_range(t, p, plen, true))
			return;
		break;
	case TOK_WORD:
	case TOK_LINE:
		if (p && !is_clean(p, plen))
			return;
		break;
	}
	help_add(l, t->display, strlen(t->display), t->help, false);
}

/* Help for the part after "|" of commands with 'flags': filter names,
 * then the regex. */
static char *help_filter(const struct walk *w, size_t first, size_t n_full, const char *p,
			 size_t plen, unsigned flags)
{
	struct help_list l = {0};
	char *out;
	int f;

	if (first == n_full) {
		for (size_t i = 0; i < ARRAY_SIZE(filters); i++)
			if ((filters[i].flag & flags) &&
			    (!p || !strncasecmp(filters[i].name, p, plen)))
				help_add(&l, filters[i].name, strlen(filters[i].name),
					 filters[i].help, true);
		out = p ? help_format_partial(&l) : help_format(&l);
		help_list_uninit(&l);
		return out;
	}
	f = filter_find(w->line + w->words[first].off, w->words[first].len, flags);
	if (f < 0 || (!filters[f].regex && n_full > first + 1))
		return xstrdup("% Unrecognized command\n");
	if (filters[f].regex)
		help_add(&l, "LINE", 4, "Regular Expression", false);
	l.cr = !p && (n_full > first + 1 || !filters[f].regex);
	out = p ? help_format_partial(&l) : help_format(&l);
	help_list_uninit(&l);
	return out;
}

/* Where the cursor is: the words before it and the partial word. */
struct cursor {
	size_t n_full; /* whole words before the cursor */
	const char *p; /* the partial word under the cursor, or NULL */
	size_t plen;
	size_t pipe; /* index of the "|" word among the whole words, or SIZE_MAX */
};

static void cursor_init(const struct walk *w, struct cursor *c)
{
	size_t len = strlen(w->line);

	c->n_full = w->n_words;
	c->p = NULL;
	c->plen = 0;
	if (w->n_words && len && !is_space(w->line[len - 1])) {
		c->n_full--;
		c->p = w->line + w->words[c->n_full].off;
		c->plen = w->words[c->n_full].len;
	}
	c->pipe = SIZE_MAX;
	for (size_t i = 0; i < c->n_full; i++) {
		if (w->words[i].len == 1 && w->line[w->words[i].off] == '|') {
			c->pipe = i;
			break;
		}
	}
}

/* The DEV_CMD_PIPE* flags of the commands that may end here (0: no
 * filter may follow). */
static unsigned walk_pipe_flags(const struct walk *w)
{
	unsigned flags = 0;

	for (size_t k = 0; k < w->n_cur; k++)
		if (state_can_end(w, &w->cur[k]))
			flags |= w->table->cmds[w->cur[k].cmd].cmd->flags & DEV_CMD_PIPES;
	return flags;
}

/* The message of a failed walk: ambiguous (quoting the line) or not. */
static char *walk_error(const struct walk *w)
{
	size_t len = strlen(w->line);

	if (w->result != DEV_MATCH_AMBIGUOUS)
		return xstrdup("% Unrecognized command\n");
	while (len && is_space(w->line[len - 1]))
		len--;
	return xasprintf("%% Ambiguous command:  \"%.*s\"\n", (int)len, w->line);
}

static char *help_in(const struct dev_cmd_table *table, enum dev_mode mode, enum dev_role role,
		     const char *line, dev_words_fn *wfn, void *aux)
{
	struct help_list l = {0};
	struct cursor c;
	struct walk w;
	char *out;

	walk_init(&w, table, mode, (int)role, line, wfn, aux);
	cursor_init(&w, &c);
	if (c.pipe != SIZE_MAX) {
		if (!walk_words(&w, c.pipe) || !walk_pipe_flags(&w))
			out = w.result == DEV_MATCH_AMBIGUOUS ? walk_error(&w)
							      : xstrdup("% Unrecognized command\n");
		else
			out = help_filter(&w, c.pipe + 1, c.n_full, c.p, c.plen,
					  walk_pipe_flags(&w));
		goto done;
	}
	if (!walk_words(&w, c.n_full)) {
		out = walk_error(&w);
		goto done;
	}
	for (size_t k = 0; k < w.n_cur; k++) {
		const struct state *st = &w.cur[k];
		const struct gcmd *g = &table->cmds[st->cmd];
		uint32_t n;
		const uint32_t *next = state_next(&w, st, &n);

		if (st->rest)
			help_add_tok(&l, state_tok(&w, st), c.p, c.plen, wfn, aux);
		if (state_can_end(&w, st)) {
			l.cr = true;
			l.pipe |= (g->cmd->flags & DEV_CMD_PIPES) != 0;
		}
		for (uint32_t j = 0; j < n; j++)
			help_add_tok(&l, &g->toks[next[j]], c.p, c.plen, wfn, aux);
	}
	if (c.p) {
		l.cr = l.pipe = false;
		out = help_format_partial(&l);
	} else {
		out = l.n || l.cr ? help_format(&l) : xstrdup("% Unrecognized command\n");
	}
done:
	help_list_uninit(&l);
	walk_uninit(&w);
	return out;
}

/* "?" help; see engine.h. A sub-mode's error falls back to its parents. */
char *dev_cmd_help(const struct dev_cmd_table *table, enum dev_mode mode, enum dev_role role,
		   const char *line, dev_words_fn *wfn, void *aux)
{
	char *out;

	if ((unsigned)mode >= DEV_MODE_N)
		return xstrdup("% Unrecognized command\n");
	out = help_in(table, mode, role, line, wfn, aux);
	for (enum dev_mode p = mode_parent(mode); out[0] == '%' && p != DEV_MODE_N;
	     p = mode_parent(p)) {
		char *po = help_in(table, p, role, line, wfn, aux);

		if (po[0] == '%') {
			free(po);
		} else {
			free(out);
			out = po;
		}
	}
	return out;
}

/* Completion candidates of the partial word 'p'. */
struct completion {
	const char *only;    /* the one candidate so far */
	size_t n;	     /* distinct candidates */
	bool exact;	     /* 'p' is a whole keyword or names an interface */
	const char *letters; /* interface completions: their common letters */
	size_t letters_len;
	bool letters_differ;
	char *owned; /* 'only' when it is a context word (copied) */
};

static void completion_add(struct completion *c, const char *word, bool copy)
{
	if (c->n && !strcasecmp(c->only, word))
		return;
	c->n++;
	if (c->n == 1) {
		if (copy) {
			c->owned = xstrdup(word);
			word = c->owned;
		}
		c->only = word;
	}
}

static void complete_tok(struct completion *c, const struct tok *t, const char *p, size_t plen,
			 dev_words_fn *wfn, void *aux)
{
	if (t->type == TOK_KEYWORD) {
		if (plen <= strlen(t->text) && !strncasecmp(t->text, p, plen)) {
			completion_add(c, t->text, false);
			c->exact |= strlen(t->text) == plen;
		}
		return;
	}
	if (t->type != TOK_CONTEXT)
		return;
	for (const char *const *v = context_words(t, wfn, aux); *v; v++) {
		bool exact;
		size_t vl = strlen(*v), ll = letters_len(*v, vl);

		if (ifname_matches(*v, p, plen, &exact)) {
			c->exact = true;
			continue;
		}
		if (plen <= vl && !strncasecmp(*v, p, plen))
			completion_add(c, *v, true);
		/* "gi" with Gi0/0 and Gi0/1: the type can still be completed. */
		if (letters_len(p, plen) == plen && plen <= ll && !strncasecmp(*v, p, plen)) {
			if (!c->letters) {
				c->letters = *v;
				c->letters_len = ll;
				c->letters_differ = false;
			} else if (c->letters_len != ll || strncmp(c->letters, *v, ll)) {
				c->letters_differ = true;
			}
		}
	}
}

static char *complete_in(const struct dev_cmd_table *table, enum dev_mode mode, enum dev_role role,
			 const char *line, dev_words_fn *wfn, void *aux)
{
	struct completion c = {0};
	struct cursor cur;
	struct walk w;
	char *out = NULL;
	char *letters = NULL;

	walk_init(&w, table, mode, (int)role, line, wfn, aux);
	cursor_init(&w, &cur);
	if (!cur.p || !walk_words(&w, cur.pipe != SIZE_MAX ? cur.pipe : cur.n_full))
		goto done;
	if (cur.pipe != SIZE_MAX) {
		/* Only the filter's name can be completed. */
		unsigned flags = cur.n_full == cur.pipe + 1 ? walk_pipe_flags(&w) : 0;

		for (size_t i = 0; i < ARRAY_SIZE(filters); i++)
			if ((filters[i].flag & flags) &&
			    !strncasecmp(filters[i].name, cur.p, cur.plen))
				completion_add(&c, filters[i].name, false);
	} else {
		for (size_t k = 0; k < w.n_cur; k++) {
			uint32_t n;
			const uint32_t *next = state_next(&w, &w.cur[k], &n);
			const struct gcmd *g = &table->cmds[w.cur[k].cmd];

			for (uint32_t j = 0; j < n; j++) {
				complete_tok(&c, &g->toks[next[j]], cur.p, cur.plen, wfn, aux);
				/* The words array of a context placeholder is only
				 * valid until the next call: keep the letters. */
				if (c.letters && !letters) {
					letters = xmemdup0(c.letters, c.letters_len);
					c.letters = letters;
				}
			}
		}
	}
	if (c.n == 1 && strlen(c.only) >= cur.plen)
		out = xasprintf("%s ", c.only + cur.plen);
	else if (c.exact)
		out = xstrdup(" ");
	else if (c.letters && !c.letters_differ && c.letters_len > cur.plen)
		out = xmemdup0(c.letters + cur.plen, c.letters_len - cur.plen);
done:
	free(c.owned);
	free(letters);
	walk_uninit(&w);
	return out;
}

/* Tab completion; see engine.h. */
char *dev_cmd_complete(const struct dev_cmd_table *table, enum dev_mode mode, enum dev_role role,
		       const char *line, dev_words_fn *wfn, void *aux)
{
	char *out;

	if ((unsigned)mode >= DEV_MODE_N)
		return NULL;
	out = complete_in(table, mode, role, line, wfn, aux);
	for (enum dev_mode p = mode_parent(mode); !out && p != DEV_MODE_N; p = mode_parent(p))
		out = complete_in(table, p, role, line, wfn, aux);
	return out;
}
