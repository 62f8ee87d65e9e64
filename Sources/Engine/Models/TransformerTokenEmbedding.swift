/// The transformer's token table: a parameter of its own, or GrokTransfer's factorisation
/// E = A·B (A: V × r, the weak model's embedding; B: r × d). The factorised table is composed
/// once per forward into a V × d product, which every path (per-example embedding, the
/// first-block tables, position 0) reads as it reads an unfactorised table; their gradients
/// land in the product's gradient, taken back to the factors once per backward.
extension Transformer {
    enum TokenEmbedding {
        case table(ParameterSlice)
        case factors(a: ParameterSlice, b: ParameterSlice, product: Tensor, productGradient: Tensor)
    }

    /// The token table (V × d) the forward reads.
    var tokenTableValues: UnsafeMutablePointer<Float> {
        switch tokenEmbedding {
        case .table(let slice): parameters.value(slice)
        case .factors(_, _, let product, _): product.data
        }
    }

    /// Where the backward accumulates the token table's gradient (V × d).
    var tokenTableGradients: UnsafeMutablePointer<Float> {
        switch tokenEmbedding {
        case .table(let slice): parameters.gradient(slice)
        case .factors(_, _, _, let productGradient): productGradient.data
        }
    }

    /// product = A·B (V × d).
    func composeTokenTable() {
        guard case .factors(let a, let b, let product, _) = tokenEmbedding else { return }
        let (v, r, d) = (shape.vocabularySize, a.shape[1], shape.modelDimension)
        BLAS.gemm(
            transposeA: false, transposeB: false, m: v, n: d, k: r, a: parameters.value(a), lda: r,
            b: parameters.value(b), ldb: d, beta: 0, c: product.data, ldc: d)
    }

    /// dA += dE·Bᵀ (V × r), dB += Aᵀ·dE (r × d), from the product's gradient dE.
    func backwardTokenFactors() {
        guard case .factors(let a, let b, _, let productGradient) = tokenEmbedding else { return }
        let (v, r, d) = (shape.vocabularySize, a.shape[1], shape.modelDimension)
        BLAS.gemm(
            transposeA: false, transposeB: true, m: v, n: r, k: d, a: productGradient.data, lda: d,
            b: parameters.value(b), ldb: d, beta: 1, c: parameters.gradient(a), ldc: r)
        BLAS.gemm(
            transposeA: true, transposeB: false, m: r, n: d, k: v, a: parameters.value(a), lda: r,
            b: productGradient.data, ldb: d, beta: 1, c: parameters.gradient(b), ldc: d)
    }
}
