/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef PE_CONFIG_H
#define PE_CONFIG_H

#include <stddef.h>

#include "config_types.h"

/*
 * Load and validate the config file at @path into @cfg (defaults first, then
 * the file's values). DPDK-free: callable before rte_eal_init().
 *
 * Returns 0 on success. On any error returns -EINVAL (or -ENOENT if the file
 * cannot be opened) and writes one line "file:line: key: what is wrong" (no
 * trailing newline) into @err.
 */
int pe_config_load(const char *path, struct pe_config *cfg, char *err, size_t errlen);

/* Fill @cfg with the documented defaults (no backends, no addresses). */
void pe_config_defaults(struct pe_config *cfg);

#endif /* PE_CONFIG_H */
