/* libFuzzer target: the tunnel decoder, exactly as compiled into dtcp.ko. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <dtcp/wire.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dtcp_msg m;

	if (dtcp_wire_decode(data, (unsigned int)size, &m) == 0) {
		/* Whatever the decoder accepts stays inside the buffer. */
		if (m.data_len) {
			const uint8_t *end = data + size;

			if (m.data < data || m.data + m.data_len > end)
				__builtin_trap();
			volatile uint8_t sink = m.data[0] ^ m.data[m.data_len - 1];
			(void)sink;
		}
	}
	return 0;
}
