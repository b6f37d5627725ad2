package dev.flashj.cli;

import dev.flashj.api.Device;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DeviceOptionsTest {

    @Test
    void cudaTakesOneNumberOpenClTwoOthersNone() {
        assertTrue(DeviceOptions.validAddress(Device.CUDA, "0"));
        assertTrue(DeviceOptions.validAddress(Device.CUDA, "3"));
        assertFalse(DeviceOptions.validAddress(Device.CUDA, ""));
        assertFalse(DeviceOptions.validAddress(Device.CUDA, "0:1"));
        assertFalse(DeviceOptions.validAddress(Device.CUDA, "-1"));
        assertTrue(DeviceOptions.validAddress(Device.OPENCL, "0:1"));
        assertFalse(DeviceOptions.validAddress(Device.OPENCL, "1"));
        assertFalse(DeviceOptions.validAddress(Device.CPU, "0"));
        assertFalse(DeviceOptions.validAddress(Device.AUTO, "0"));
    }
}
