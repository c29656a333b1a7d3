/* exec.h - stage 2 of kiln-spec: running the modules.
 *
 * exec.c compiles each module the script loads (module_compile_object,
 * link_shared_library, dlopen), instantiates it against a linker holding
 * the `spectest` host module and every registered instance, and checks
 * invoke/get/assert_return/assert_trap/assert_exhaustion/
 * assert_unlinkable/assert_uninstantiable, and the 3.0 suite's
 * module_definition/module_instance and assert_exception.  exec_none.c
 * is the stage-1 stand-in used when the back end is not built: it
 * returns no session, so script.c reports execution commands as skipped. */
#ifndef KILN_SPEC_EXEC_H
#define KILN_SPEC_EXEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "json.h"
#include "module.h"
#include "spec.h"

enum { EXEC_PASS = 0, EXEC_FAIL = 1, EXEC_SKIP = 2 };

typedef struct exec_session exec_session;

/* `dir` is the script's scratch directory (objects and libraries go
 * there).  NULL when execution is unavailable. */
exec_session *exec_session_new(const spec_options *opts, const char *dir, uint32_t features);
void exec_session_free(exec_session *s);

/* A `module`, module_definition, assert_unlinkable or
 * assert_uninstantiable command whose module decoded and validated (a
 * definition is compiled and kept, not instantiated).  Takes ownership
 * of `m`.  Returns true when the command's expectation holds; else fills
 * `msg`. */
bool exec_module(exec_session *s, const json_value *cmd, const char *type, kiln_module *m,
                 const uint8_t *bytes, size_t size, char *msg, size_t msg_size);

/* A `module` command whose module failed to decode or validate: there is
 * no current module any more, so that later commands fail rather than
 * run against the module before it. */
void exec_module_rejected(exec_session *s, const char *type);

/* register / module_instance / action / assert_return / assert_trap /
 * assert_exhaustion / assert_exception: EXEC_PASS, or EXEC_FAIL with
 * `msg`.  assert_exception always fails: kiln has no exception
 * handling, so no call can end in an uncaught exception. */
int exec_command(exec_session *s, const json_value *cmd, const char *type, char *msg,
                 size_t msg_size);

#endif
