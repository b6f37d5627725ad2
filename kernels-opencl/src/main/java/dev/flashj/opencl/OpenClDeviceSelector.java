package dev.flashj.opencl;

import dev.flashj.FlashjException;
import dev.flashj.opencl.runtime.ClDevice;
import dev.flashj.opencl.runtime.ClPlatform;
import dev.flashj.opencl.runtime.OpenCl;

import java.util.List;

/**
 * Which OpenCL device a {@code --device} option names: {@code opencl} is the first GPU, else the
 * first device; {@code opencl:P:D} is device D of platform P.
 *
 * @param option the option value, kept for messages
 */
public record OpenClDeviceSelector(String option) {

    /** Parses {@code opencl} or {@code opencl:P:D} (the indices are checked against the platforms in {@link #select}). */
    public static OpenClDeviceSelector parse(String option) {
        OpenClDeviceSelector s = new OpenClDeviceSelector(option);
        s.indices(); // fail early on syntax
        return s;
    }

    /** The first GPU, else the first device. */
    public static OpenClDeviceSelector firstGpuOrAny() {
        return new OpenClDeviceSelector("opencl");
    }

    /** The device this option names among {@code cl}'s platforms. */
    public ClDevice select(OpenCl cl) {
        int[] pd = indices();
        List<ClPlatform> platforms = cl.platforms();
        if (platforms.isEmpty()) {
            throw new FlashjException("--device " + option + ": " + OpenCl.NO_PLATFORM);
        }
        if (pd == null) {
            List<ClDevice> all = cl.devices();
            return all.stream().filter(ClDevice::isGpu).findFirst().orElseGet(() -> {
                if (all.isEmpty()) {
                    throw new FlashjException("--device " + option + ": no OpenCL device on any platform");
                }
                return all.getFirst();
            });
        }
        if (pd[0] >= platforms.size()) {
            throw new FlashjException("--device " + option + ": no OpenCL platform " + pd[0] + " (there "
                    + (platforms.size() == 1 ? "is 1 platform" : "are " + platforms.size() + " platforms") + ")");
        }
        List<ClDevice> devices = platforms.get(pd[0]).devices();
        if (pd[1] >= devices.size()) {
            throw new FlashjException("--device " + option + ": platform " + pd[0] + " (" + platforms.get(pd[0]).name()
                    + ") has no device " + pd[1] + " (it has " + devices.size() + ")");
        }
        return devices.get(pd[1]);
    }

    /** [P, D], or null for plain "opencl". */
    private int[] indices() {
        if (option.equals("opencl")) {
            return null;
        }
        String[] parts = option.split(":", -1);
        if (parts.length != 3 || !parts[0].equals("opencl")) {
            throw new FlashjException("--device " + option + ": expected opencl or opencl:PLATFORM:DEVICE (e.g. opencl:0:0)");
        }
        return new int[]{index(parts[1], "platform"), index(parts[2], "device")};
    }

    private int index(String text, String what) {
        try {
            int i = Integer.parseInt(text);
            if (i >= 0) {
                return i;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new FlashjException("--device " + option + ": " + what + " index '" + text + "' is not a non-negative integer");
    }
}
