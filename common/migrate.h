/* Schema migrations: schema/NNN_name.sql applied in order, each in its own
 * transaction together with its record (version, name, SHA-256) in
 * public.peakdesk_migrations. Refuses to run when an applied migration was
 * edited or removed; concurrent runs serialise on an advisory lock. */
#ifndef PD_MIGRATE_H
#define PD_MIGRATE_H

#include "pd.h"

/* Applies pending migrations from dir. *applied gets how many ran now.
 * Progress lines go to stdout when verbose. */
int pd_migrate(const char *conninfo, const char *dir, int verbose, int *applied, pd_errbuf *eb);

#endif
