/*
 * NAME
 *	names_eval - the name finder against MeCab (IPAdic) on tests/corpus
 * SYNOPSIS
 *	build/names_eval CONF tests/corpus/names.tsv [ROUNDS]
 * DESCRIPTION
 *	Issue 17 item 4 asked whether MeCab's lexicon (IPAdic tags people's
 *	names 名詞,固有名詞,人名,姓/名) finds the people of Japanese mail
 *	better than the engine's heuristic (eng_pd_person.c: rules/surnames
 *	plus the shape of a given name, honorifics). names.tsv (written by
 *	tests/corpus/make-corpus.py) holds every corpus body as the
 *	detectors read it (no addressee greeting, no signature) and the
 *	names the generator put in it.
 *
 *	For each method: recall = names (occurrences) overlapped by a found
 *	span; false alarms = found spans that overlap no name, over all
 *	texts and over the texts of ordinary mail (no label); cost = time
 *	per text, best of ROUNDS passes (default 20), and for MeCab the
 *	time and resident memory of loading the dictionary once. Prints a
 *	table and every false alarm and miss.
 *
 *	Not part of `make test`: `make names-eval` (needs libmecab-dev and
 *	mecab-ipadic-utf8, FIXTURE_PKGS).
 */
#include "engine/eng_int.h"
#include "engine/eng_pd_person.h"
#include "util/sg_conf.h"
#include "util/sg_mem.h"

#include <mecab.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_TEXTS 10000
#define MAX_SPANS 4096

typedef struct span { size_t s, e; } span;

typedef struct text {
	char *file;
	bool negative;		/* ordinary mail: no label */
	char *t;
	size_t len;
	char **names;
	size_t nnames;
} text;

typedef struct tally {
	const char *method;
	unsigned long names, found, fa, fa_neg, neg_texts_fa;
	double us_per_text;
} tally;

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long rss_kib(void)
{
	FILE *fp = fopen("/proc/self/statm", "r");
	long pages = 0, rss = 0;

	if (fp) {
		if (fscanf(fp, "%ld %ld", &pages, &rss) != 2)
			rss = 0;
		fclose(fp);
	}
	return rss * 4;
}

static char *unescape(const char *s)
{
	sg_buf b;

	sg_buf_init(&b, SG_BUF_UNLIMITED);
	for (; *s; s++) {
		if (s[0] == '\\' && s[1] == 'n') {
			sg_buf_putc(&b, '\n');
			s++;
		} else {
			sg_buf_putc(&b, *s);
		}
	}
	return sg_buf_steal(&b);
}

static size_t load(const char *path, text *tx)
{
	FILE *fp = fopen(path, "r");
	static char line[1 << 20];
	size_t n = 0;

	if (fp == NULL) {
		perror(path);
		exit(66);
	}
	while (n < MAX_TEXTS && fgets(line, sizeof(line), fp)) {
		char *f[4], *p = line, *nm;

		line[strcspn(line, "\n")] = '\0';
		if (line[0] == '#' || line[0] == '\0')
			continue;
		for (int i = 0; i < 4; i++) {
			f[i] = p;
			p = p ? strchr(p, '\t') : NULL;
			if (p)
				*p++ = '\0';
		}
		if (f[3] == NULL)
			continue;
		tx[n].file = sg_xstrdup(f[0]);
		tx[n].negative = f[1][0] == '\0';
		tx[n].t = unescape(f[2]);
		tx[n].len = strlen(tx[n].t);
		tx[n].names = NULL;
		tx[n].nnames = 0;
		for (nm = strtok(f[3], "|"); nm; nm = strtok(NULL, "|")) {
			tx[n].names = sg_xreallocarray(tx[n].names, tx[n].nnames + 1,
						       sizeof(char *));
			tx[n].names[tx[n].nnames++] = sg_xstrdup(nm);
		}
		n++;
	}
	fclose(fp);
	return n;
}

static size_t heuristic(const eng_engine *eng, const text *x, span *sp)
{
	size_t n = 0, off = 0, s, e;

	while (n < MAX_SPANS &&
	       eng_pd_person_next(eng, x->t, x->len, off, x->len, &s, &e)) {
		sp[n].s = s;
		sp[n++].e = e;
		off = e > s ? e : s + 1;
	}
	return n;
}

/* MeCab: tokens tagged 名詞,固有名詞,人名, neighbours (a blank between
 * or not) merged into one span. */
static size_t mecab_spans(mecab_t *m, const text *x, span *sp)
{
	const mecab_node_t *node = mecab_sparse_tonode2(m, x->t, x->len);
	size_t n = 0;

	for (; node && n < MAX_SPANS; node = node->next) {
		size_t s, e;

		if (node->stat != MECAB_NOR_NODE && node->stat != MECAB_UNK_NODE)
			continue;
		if (strncmp(node->feature, "名詞,固有名詞,人名", strlen("名詞,固有名詞,人名")) != 0)
			continue;
		s = (size_t)(node->surface - x->t);
		e = s + node->length;
		if (n > 0 && s - sp[n - 1].e <= 3 &&
		    (s == sp[n - 1].e || x->t[sp[n - 1].e] == ' ' ||
		     memcmp(x->t + sp[n - 1].e, "\xe3\x80\x80", 3) == 0)) {
			sp[n - 1].e = e;
			continue;
		}
		sp[n].s = s;
		sp[n++].e = e;
	}
	return n;
}

static void score(const text *x, const span *sp, size_t n, tally *t, bool show)
{
	bool used[MAX_SPANS] = { false };
	bool any_fa = false;

	for (size_t k = 0; k < x->nnames; k++) {
		size_t nl = strlen(x->names[k]);
		const char *p = x->t;

		while ((p = strstr(p, x->names[k])) != NULL) {
			size_t s = (size_t)(p - x->t), e = s + nl;
			bool hit = false;

			for (size_t i = 0; i < n; i++)
				if (sp[i].s < e && sp[i].e > s) {
					used[i] = true;
					hit = true;
				}
			t->names++;
			t->found += hit;
			if (!hit && show)
				printf("  %s miss %s: %s\n", t->method, x->file, x->names[k]);
			p += nl;
		}
	}
	for (size_t i = 0; i < n; i++) {
		if (used[i])
			continue;
		t->fa++;
		t->fa_neg += x->negative;
		any_fa = true;
		if (show)
			printf("  %s false alarm %s: %.*s\n", t->method, x->file,
			       (int)(sp[i].e - sp[i].s), x->t + sp[i].s);
	}
	t->neg_texts_fa += x->negative && any_fa;
}

int main(int argc, char **argv)
{
	static text tx[MAX_TEXTS];
	static span sp[MAX_SPANS];
	int rounds = argc > 3 ? atoi(argv[3]) : 20;
	tally th = { "heuristic", 0, 0, 0, 0, 0, 0 }, tm = { "mecab", 0, 0, 0, 0, 0, 0 };
	sg_buf err;
	sg_conf *conf;
	eng_engine *eng;
	mecab_t *m;
	size_t n, nneg = 0;
	long rss0;
	double t0, load_s, best_h = 1e9, best_m = 1e9;

	if (argc < 3 || rounds < 1) {
		fprintf(stderr, "usage: names_eval CONF names.tsv [ROUNDS]\n");
		return 64;
	}
	sg_buf_init(&err, 4096);
	conf = sg_conf_load(argv[1], &err);
	if (conf == NULL || (eng = eng_engine_new(conf, &err)) == NULL) {
		fprintf(stderr, "%s\n", sg_buf_cstr(&err));
		return 78;
	}
	n = load(argv[2], tx);
	rss0 = rss_kib();
	t0 = now_s();
	m = mecab_new2("");
	load_s = now_s() - t0;
	if (m == NULL) {
		fprintf(stderr, "mecab: %s\n", mecab_strerror(NULL));
		return 70;
	}
	for (size_t i = 0; i < n; i++) {
		nneg += tx[i].negative;
		score(&tx[i], sp, heuristic(eng, &tx[i], sp), &th, true);
		score(&tx[i], sp, mecab_spans(m, &tx[i], sp), &tm, true);
	}
	for (int r = 0; r < rounds; r++) {
		double a = now_s(), b, c;
		size_t sink = 0;

		for (size_t i = 0; i < n; i++)
			sink += heuristic(eng, &tx[i], sp);
		b = now_s();
		for (size_t i = 0; i < n; i++)
			sink += mecab_spans(m, &tx[i], sp);
		c = now_s();
		if (b - a < best_h)
			best_h = b - a;
		if (c - b < best_m)
			best_m = c - b;
		if (sink == (size_t)-1)
			puts("");
	}
	th.us_per_text = best_h * 1e6 / (double)(n ? n : 1);
	tm.us_per_text = best_m * 1e6 / (double)(n ? n : 1);
	printf("\n%zu texts (%zu ordinary mail), best of %d rounds\n", n, nneg, rounds);
	printf("%-10s %6s %6s %7s %6s %9s %12s %10s\n", "method", "names", "found",
	       "recall", "FA", "FA-ordin", "ordin-w/FA", "us/text");
	for (int k = 0; k < 2; k++) {
		const tally *t = k ? &tm : &th;
		printf("%-10s %6lu %6lu %7.3f %6lu %9lu %8lu/%-3zu %10.1f\n", t->method,
		       t->names, t->found, t->names ? (double)t->found / (double)t->names : 0,
		       t->fa, t->fa_neg, t->neg_texts_fa, nneg, t->us_per_text);
	}
	printf("mecab dictionary load: %.1f ms, +%ld KiB resident\n", load_s * 1e3,
	       rss_kib() - rss0);
	mecab_destroy(m);
	eng_engine_free(eng);
	sg_conf_free(conf);
	sg_buf_free(&err);
	return 0;
}
