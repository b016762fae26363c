import CImageKernel

/// The Swift face of the C image kernel (`image_kernel.h`): probe, process and decode encoded images.
///
/// A value type with no state but its limit: any number of threads may use one at once, as the kernel keeps no
/// global state. All pixel work happens in C; Swift passes the bytes in and copies the encoded result out once.
public struct ImageKernel: Sendable {
    /// The largest width × height the kernel decodes or produces.
    public let maxPixels: Int

    /// 100 megapixels: a 12240 x 8160 photo, the largest common camera sensors.
    public static let defaultMaxPixels = 100_000_000

    public init(maxPixels: Int = defaultMaxPixels) {
        precondition(maxPixels > 0, "maxPixels must be positive")
        self.maxPixels = maxPixels
    }

    /// The format and dimensions from the header, without decoding. Unlike the C `ik_probe`, this also applies
    /// `maxPixels`, so an upload can be refused before it is queued.
    public func probe(_ bytes: [UInt8]) throws(ImageError) -> ImageInfo {
        var info = ik_info()
        try call { message, capacity in
            bytes.withUnsafeBufferPointer { ik_probe($0.baseAddress, $0.count, &info, message, capacity) }
        }
        let format: ImageFormat = info.format == IK_FORMAT_JPEG ? .jpeg : .png
        let pixels = UInt64(info.width) * UInt64(info.height)
        if pixels > UInt64(maxPixels) {
            throw ImageError(
                code: .tooManyPixels,
                message: "image is \(info.width) x \(info.height) pixels, more than the limit of \(maxPixels)")
        }
        return ImageInfo(
            format: format, width: Int(info.width), height: Int(info.height), orientation: Int(info.orientation))
    }

    /// Decodes `bytes`, applies the operations in order and encodes the result.
    public func process(_ bytes: [UInt8], options: ProcessingOptions) throws(ImageError) -> ProcessedImage {
        var kernelOptions = try Self.kernelOptions(for: options, maxPixels: maxPixels)
        var output = ik_output()
        defer { ik_output_free(&output) }
        try call { message, capacity in
            bytes.withUnsafeBufferPointer {
                ik_process($0.baseAddress, $0.count, &kernelOptions, &output, message, capacity)
            }
        }
        let encoded = Array(UnsafeBufferPointer(start: output.data, count: output.size))
        let format: ImageFormat = output.format == IK_FORMAT_JPEG ? .jpeg : .png
        return ProcessedImage(
            bytes: encoded, info: ImageInfo(format: format, width: Int(output.width), height: Int(output.height)))
    }

    /// An upper bound of the memory `process(bytes, options:)` takes, in bytes, from the header alone: the most the
    /// kernel holds at once for the job (decode, coefficient arrays, resample, rotation, encoder and output buffer;
    /// MEMORY ESTIMATES in `image_kernel.h`), or, when larger, the kernel's result beside the copy `process` makes
    /// of it (by then the kernel has freed everything else). Throws what `process` would throw for what the header
    /// and options already refuse. The input bytes are the caller's and not included.
    public func estimatedPeakBytes(_ bytes: [UInt8], options: ProcessingOptions) throws(ImageError) -> Int {
        var kernelOptions = try Self.kernelOptions(for: options, maxPixels: maxPixels)
        var estimate = ik_estimate()
        try call { message, capacity in
            bytes.withUnsafeBufferPointer {
                ik_estimate_peak($0.baseAddress, $0.count, &kernelOptions, &estimate, message, capacity)
            }
        }
        let (resultAndCopy, overflow) = estimate.output_bytes.multipliedReportingOverflow(by: 2)
        return overflow ? Int.max : Int(clamping: max(estimate.peak_bytes, resultAndCopy))
    }

    /// Decodes `bytes` at full size into 8-bit pixels.
    public func decode(_ bytes: [UInt8]) throws(ImageError) -> DecodedImage {
        var image = ik_image()
        defer { ik_image_free(&image) }
        try call { message, capacity in
            bytes.withUnsafeBufferPointer {
                ik_decode($0.baseAddress, $0.count, UInt64(maxPixels), &image, message, capacity)
            }
        }
        let count = image.stride * Int(image.height)
        return DecodedImage(
            width: Int(image.width), height: Int(image.height), channels: Int(image.channels),
            pixels: Array(UnsafeBufferPointer(start: image.data, count: count)))
    }

    /// Runs one kernel call with a message buffer and turns a failed status into an `ImageError`.
    private func call(_ body: (UnsafeMutablePointer<CChar>, Int) -> ik_status) throws(ImageError) {
        var message = [CChar](repeating: 0, count: Int(IK_MESSAGE_CAPACITY))
        let status = message.withUnsafeMutableBufferPointer { body($0.baseAddress!, $0.count) }
        if status != IK_OK {
            let text = message.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
            throw ImageError(status: status, kernelMessage: text)
        }
    }

    private static func kernelOptions(for options: ProcessingOptions, maxPixels: Int) throws(ImageError) -> ik_options {
        var result = ik_options()
        ik_options_init(&result)
        let capacity = Int(IK_MAX_OPERATIONS)
        guard options.operations.count <= capacity else {
            throw ImageError(code: .invalidArgument, message: "at most \(capacity) operations")
        }
        guard let width = UInt32(exactly: options.width ?? 0), let height = UInt32(exactly: options.height ?? 0)
        else {
            throw ImageError(code: .invalidArgument, message: "width and height must not be negative")
        }
        withUnsafeMutableBytes(of: &result.operations) { raw in
            let slots = raw.bindMemory(to: ik_operation.self)
            for (index, operation) in options.operations.enumerated() {
                slots[index] =
                    switch operation {
                    case .grayscale: IK_OP_GRAYSCALE
                    case .resize: IK_OP_RESIZE
                    }
            }
        }
        result.operation_count = options.operations.count
        result.width = width
        result.height = height
        result.fit =
            switch options.fit {
            case .inside: IK_FIT_INSIDE
            case .cover: IK_FIT_COVER
            case .fill: IK_FIT_FILL
            }
        result.output_format =
            switch options.format {
            case .same: IK_OUTPUT_SAME
            case .jpeg: IK_OUTPUT_JPEG
            case .png: IK_OUTPUT_PNG
            }
        result.jpeg_quality = Int32(clamping: options.quality)
        result.max_pixels = UInt64(maxPixels)
        return result
    }
}
