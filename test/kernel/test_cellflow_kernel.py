"""jupyter_kernel_test against the cellflow kernel (run by test/kernel/peers.test.ts).

The kernelspec must be findable: the jest test installs it into a temporary prefix and points
JUPYTER_PATH there. Skipped by design (see the report): test_pager (TypeScript has no pager
payload), test_clear_output (tslab has no clear-output API), test_recv_iopub_welcome_msg
(a PUB socket, not XPUB: JEP 65 welcome messages are optional).
"""
import unittest

import jupyter_kernel_test


class CellflowKernelTests(jupyter_kernel_test.KernelTests):
    kernel_name = "cellflow"
    language_name = "typescript"
    file_extension = ".ts"

    code_hello_world = 'console.log("hello, world")'
    code_stderr = 'console.error("oops")'
    code_generate_error = 'throw new Error("deliberate")'
    code_execute_result = [
        {"code": "6 * 7", "result": "42"},
        {"code": "'a' + 'b'", "result": "'ab'"},
        {"code": "[1, 2].length", "result": "2"},
    ]
    code_display_data = [
        {
            "code": "import * as tslab from 'tslab';\ntslab.display.html('<b>hi</b>')",
            "mime": "text/html",
        },
    ]
    code_history_pattern = "6 *"
    supported_history_operations = ("tail", "range", "search")
    completion_samples = [{"text": "Math.ma", "matches": {"max"}}]
    complete_code_samples = ["1 + 1", "const x = 1;", "function f() {}"]
    incomplete_code_samples = ["function f() {", "const a = [1,"]
    code_inspect_sample = "Math.max"


if __name__ == "__main__":
    unittest.main(verbosity=2)
