// Rotary position embedding, in place, on x = [tokens, heads, headDim] starting at element xOff.
// Token t sits at position startPos + t. cosTable/sinTable are [positions, rotaryDims / 2], computed
// on the host (so every frequency scaling lives in one place). Pair p rotates elements
// (2p, 2p + 1) when halfStyle == 0 (interleaved) or (p, p + rotaryDims / 2) when halfStyle != 0.
// Elements from rotaryDims to headDim are left alone (partial rotary).
__kernel void rope(__global float* x, int xOff, __global const float* cosTable, __global const float* sinTable,
                   int tokens, int heads, int headDim, int rotaryDims, int startPos, int halfStyle) {
    int pair = get_global_id(0);
    int h = get_global_id(1);
    int t = get_global_id(2);
    int halfDims = rotaryDims / 2;
    if (pair >= halfDims || h >= heads || t >= tokens) {
        return;
    }
    __global float* v = x + xOff + ((size_t) t * heads + h) * headDim;
    int i0 = halfStyle ? pair : 2 * pair;
    int i1 = halfStyle ? pair + halfDims : 2 * pair + 1;
    size_t at = (size_t) (startPos + t) * halfDims + pair;
    float c = cosTable[at];
    float s = sinTable[at];
    float a = v[i0];
    float b = v[i1];
    v[i0] = a * c - b * s;
    v[i1] = a * s + b * c;
}
