/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef PE_PROTO_LDAP_REWRITE_H
#define PE_PROTO_LDAP_REWRITE_H
/* placeholder: being written (issue 5) */
#endif
