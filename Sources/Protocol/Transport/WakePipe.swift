import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A non-blocking pipe whose read end sits in the socket thread's poll set, so other threads
/// can interrupt `zmq_poll` the moment they queue a message instead of waiting out its timeout.
final class WakePipe: Sendable {
    let readDescriptor: Int32
    private let writeDescriptor: Int32

    init() throws {
        var descriptors: [Int32] = [-1, -1]
        guard pipe(&descriptors) == 0 else {
            throw TransportError.socketFailed(operation: "pipe", reason: String(cString: strerror(errno)))
        }
        for descriptor in descriptors {
            _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) | O_NONBLOCK)
            _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC)
        }
        readDescriptor = descriptors[0]
        writeDescriptor = descriptors[1]
    }

    /// Makes the read end readable. A full pipe (EAGAIN) already means "woken", so it is ignored.
    func signal() {
        var byte: UInt8 = 1
        while write(writeDescriptor, &byte, 1) < 0, errno == EINTR {}
    }

    /// Empties the pipe after a wake-up so the next poll blocks again.
    func drain() {
        var buffer = [UInt8](repeating: 0, count: 64)
        while true {
            let count = read(readDescriptor, &buffer, buffer.count)
            if count > 0 { continue }
            if count < 0, errno == EINTR { continue }
            return
        }
    }

    func close() {
        #if canImport(Glibc)
            _ = Glibc.close(readDescriptor)
            _ = Glibc.close(writeDescriptor)
        #else
            _ = Darwin.close(readDescriptor)
            _ = Darwin.close(writeDescriptor)
        #endif
    }
}
