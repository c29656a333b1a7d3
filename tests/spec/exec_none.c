/* exec_none.c - kiln-spec without the back end (stage 1 only).
 * See exec.h: no session, so every execution command is skipped. */
#include "exec.h"

exec_session *exec_session_new(const spec_options *opts, const char *dir, uint32_t features) {
    return NULL;
}

void exec_session_free(exec_session *s) {}

bool exec_module(exec_session *s, const json_value *cmd, const char *type, kiln_module *m,
                 const uint8_t *bytes, size_t size, char *msg, size_t msg_size) {
    module_free(m);
    return false;
}

void exec_module_rejected(exec_session *s, const char *type) {}

int exec_command(exec_session *s, const json_value *cmd, const char *type, char *msg,
                 size_t msg_size) {
    return EXEC_SKIP;
}
