package dev.flashj;

import java.nio.file.Path;

/**
 * The one exception type FlashJ throws for failures a user can act on: bad model files, unsupported
 * types, bad arguments, missing devices. Messages name the file or option and the reason.
 */
public class FlashjException extends RuntimeException {

    public FlashjException(String message) {
        super(message);
    }

    public FlashjException(String message, Throwable cause) {
        super(message, cause);
    }

    /** A problem with one field of a file: "FILE: FIELD: REASON". */
    public static FlashjException badFile(Path file, String field, String reason) {
        return new FlashjException(file + ": " + field + ": " + reason);
    }

    /** Same as {@link #badFile(Path, String, String)}, keeping the low-level cause. */
    public static FlashjException badFile(Path file, String field, String reason, Throwable cause) {
        return new FlashjException(file + ": " + field + ": " + reason, cause);
    }
}
