package dev.flashj.backend;

import java.util.Map;

/** One device a backend can run on, for display: an id such as "cuda:0" or "opencl:0:1", a name, details. */
public record DeviceDescription(String id, String name, Map<String, String> details) {
}
