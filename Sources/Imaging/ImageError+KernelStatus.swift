import CImageKernel

extension ImageError {
    /// The error for a failed kernel call: its status and the message it wrote. A status the kernel does not
    /// define cannot happen; it is reported as an invalid argument rather than trapping.
    init(status: ik_status, kernelMessage: String) {
        let code: Code =
            switch status {
            case IK_ERR_UNSUPPORTED_FORMAT: .unsupportedFormat
            case IK_ERR_CORRUPT: .corrupt
            case IK_ERR_TRUNCATED: .truncated
            case IK_ERR_TOO_MANY_PIXELS: .tooManyPixels
            case IK_ERR_OUT_OF_MEMORY: .outOfMemory
            case IK_ERR_TOO_COMPLEX: .tooComplex
            default: .invalidArgument
            }
        let message = kernelMessage.isEmpty ? String(cString: ik_status_name(status)) : kernelMessage
        self.init(code: code, message: message)
    }
}
