package dev.flashj.cuda;

import dev.flashj.FlashjException;

/**
 * A parsed {@code --device} value for this backend: "cuda" (device 0) or "cuda:N".
 *
 * @param ordinal the device index, as "flashj devices" lists it
 */
public record CudaDeviceSelector(int ordinal) {

    /** Parses "cuda" or "cuda:N". */
    public static CudaDeviceSelector parse(String device) {
        if (device.equals("cuda")) {
            return new CudaDeviceSelector(0);
        }
        if (device.matches("cuda:\\d{1,4}")) {
            return new CudaDeviceSelector(Integer.parseInt(device.substring("cuda:".length())));
        }
        throw new FlashjException("'" + device + "' is not a CUDA device: expected cuda or cuda:N (see 'flashj devices')");
    }
}
