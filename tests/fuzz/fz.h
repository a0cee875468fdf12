/*
 * NAME
 *	fz - what the libFuzzer targets of tests/fuzz/ share
 * SYNOPSIS
 *	#include "fz.h"
 * DESCRIPTION
 *	fz_engine() loads the shipped rules once (the tree's rules/, named
 *	at build time by SG_FUZZ_SRCDIR) with the shipped defaults, except
 *	a shorter scan_timeout: a scan that needs its full minute under
 *	ASan is a finding in itself, and libFuzzer's -timeout must stay
 *	above the engine's own deadline so that a deadline that works is
 *	never reported as a hang. fz_dir() is a private temporary
 *	directory for the targets that load files (rules, configuration);
 *	fz_write() replaces one file in it.
 * DIAGNOSTICS
 *	Setup failures abort: a target that cannot start must not look
 *	like a clean run.
 */
#ifndef FZ_H
#define FZ_H

#include <stddef.h>
#include <stdint.h>

#include "engine/eng.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

const eng_engine *fz_engine(void);
const char *fz_dir(void);
/* Writes size bytes to fz_dir()/name; returns the path (static). */
const char *fz_write(const char *name, const void *data, size_t size);
/* Configuration text with the tree's rules dir, or `rules_dir`. */
const char *fz_conf_text(const char *rules_dir);

#endif
