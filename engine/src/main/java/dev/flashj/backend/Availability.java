package dev.flashj.backend;

/** Whether a backend can run here, and if not, why (e.g. "libcuda.so.1 not found"). */
public record Availability(boolean available, String reason) {

    public static Availability yes(String detail) {
        return new Availability(true, detail);
    }

    public static Availability no(String reason) {
        return new Availability(false, reason);
    }
}
