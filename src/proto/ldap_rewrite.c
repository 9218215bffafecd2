/* SPDX-License-Identifier: BSD-3-Clause */
/* placeholder: being written (issue 5) */
#include "proto/ldap_rewrite.h"
