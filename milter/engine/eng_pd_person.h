/*
 * NAME
 *	eng_pd_person - people as Japanese mail names them
 * SYNOPSIS
 *	#include "engine/eng_pd_person.h"
 * DESCRIPTION
 *	eng_pd_person_load() reads rules/surnames (one family name a line)
 *	into the engine, sorted, once per engine: the list is read-only
 *	afterwards and shared by every scan of every thread.
 *
 *	eng_pd_person_next() finds the next person named in NFKC text at or
 *	after off (a name must start before end): a family name of the list
 *	followed by a given name (1-3 kanji, 2-4 hiragana or 2-6 katakana;
 *	a space between or not: 林 彩, 鈴木 さくら, 佐藤太郎), or by an
 *	honorific (中村様, 林さん); or any 2-4 kanji or 2-8 katakana word
 *	with an honorific that is not a role (ご担当者様, 保護者さん) or a
 *	family word (息子さん). Not a person: the addressee line at the top
 *	of a letter (株式会社さくら 山本様: the recipient is not the data
 *	subject), an example name after 記入例, a mascot (マスコットの
 *	サクラちゃん). Work is bounded by (end - off): a few list look-ups
 *	per character.
 *
 *	Why a heuristic and not MeCab: see the commit that added this file
 *	and tests/bench/names_eval.c (the figures on tests/corpus).
 * DIAGNOSTICS
 *	eng_pd_person_load() returns 0, or -1 with err "FILE:LINE: what".
 */
#ifndef ENG_PD_PERSON_H
#define ENG_PD_PERSON_H

#include "engine/eng_int.h"

int eng_pd_person_load(eng_engine *eng, const char *path, sg_buf *err);
void eng_pd_person_free(eng_engine *eng);

/* The next person in t[off, end) (read up to len for the name's tail):
 * true with the name's span in *s, *e. */
bool eng_pd_person_next(const eng_engine *eng, const char *t, size_t len,
			size_t off, size_t end, size_t *s, size_t *e);

#endif
