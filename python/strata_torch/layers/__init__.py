"""
The torch engine's layers, one module per family, and the class table:
TensorFlow.js class name (as in the model config; strata's custom layers as
strata>Name) → the TLayer implementing it.

    base            TLayer, activations, padding and layout helpers
    core            Dense, Activation, Dropout, Flatten, Reshape, ... PReLU
    conv            Conv1D/2D, depthwise, separable, transposed; resizing, padding, cropping
    pooling         max, average, global, adaptive
    normalization   batch, layer, group
    embedding       Embedding, positional embedding and encoding
    merge           Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate
    attention       multi-head and dot attention, transformer blocks, mixture of experts
    recurrent       SimpleRNN, LSTM, GRU
    wrappers        Bidirectional, TimeDistributed

To add a layer: implement it in its family's module and list its class here.
"""
from .attention import DotAttention, MixtureOfExperts, MultiHeadAttention, TransformerDecoder, TransformerEncoder
from .conv import Conv1D, Conv2D, Conv2DTranspose, Cropping2D, DepthwiseConv2D, SeparableConv2D, UpSampling2D, ZeroPadding2D
from .core import ELU, Activation, Dense, Dropout, Flatten, InputLayer, LeakyReLU, Permute, PReLU, ReLU, RepeatVector, Reshape, Softmax
from .embedding import Embedding, PositionalEmbedding, PositionalEncoding
from .merge import Add, Average, Concatenate, Maximum, Minimum, Multiply, Subtract
from .normalization import BatchNormalization, GroupNormalization, LayerNormalization
from .pooling import (AdaptivePooling2D, AveragePooling1D, AveragePooling2D, GlobalAveragePooling1D, GlobalAveragePooling2D, GlobalMaxPooling1D,
                      GlobalMaxPooling2D, MaxPooling1D, MaxPooling2D)
from .recurrent import GRU, LSTM, SimpleRNN
from .wrappers import Bidirectional, TimeDistributed

LAYER_CLASSES = {
    'InputLayer': InputLayer,
    'Dense': Dense,
    'Activation': Activation,
    'Dropout': Dropout,
    'Flatten': Flatten,
    'Reshape': Reshape,
    'Permute': Permute,
    'RepeatVector': RepeatVector,
    'LeakyReLU': LeakyReLU,
    'ELU': ELU,
    'ReLU': ReLU,
    'Softmax': Softmax,
    'PReLU': PReLU,
    'Conv1D': Conv1D,
    'Conv2D': Conv2D,
    'SeparableConv2D': SeparableConv2D,
    'DepthwiseConv2D': DepthwiseConv2D,
    'Conv2DTranspose': Conv2DTranspose,
    'UpSampling2D': UpSampling2D,
    'ZeroPadding2D': ZeroPadding2D,
    'Cropping2D': Cropping2D,
    'MaxPooling1D': MaxPooling1D,
    'AveragePooling1D': AveragePooling1D,
    'MaxPooling2D': MaxPooling2D,
    'AveragePooling2D': AveragePooling2D,
    'GlobalMaxPooling1D': GlobalMaxPooling1D,
    'GlobalAveragePooling1D': GlobalAveragePooling1D,
    'GlobalMaxPooling2D': GlobalMaxPooling2D,
    'GlobalAveragePooling2D': GlobalAveragePooling2D,
    'strata>AdaptivePooling2D': AdaptivePooling2D,
    'BatchNormalization': BatchNormalization,
    'LayerNormalization': LayerNormalization,
    'strata>GroupNormalization': GroupNormalization,
    'Embedding': Embedding,
    'strata>PositionalEncoding': PositionalEncoding,
    'strata>PositionalEmbedding': PositionalEmbedding,
    'strata>MultiHeadAttention': MultiHeadAttention,
    'strata>Attention': DotAttention,
    'strata>TransformerEncoder': TransformerEncoder,
    'strata>TransformerDecoder': TransformerDecoder,
    'strata>MixtureOfExperts': MixtureOfExperts,
    'SimpleRNN': SimpleRNN,
    'LSTM': LSTM,
    'GRU': GRU,
    'strata>GRU': GRU,
    'Bidirectional': Bidirectional,
    'TimeDistributed': TimeDistributed,
    'Add': Add,
    'Subtract': Subtract,
    'Multiply': Multiply,
    'Average': Average,
    'Maximum': Maximum,
    'Minimum': Minimum,
    'Concatenate': Concatenate,
}

#: The TF.js class names build_model implements.
SUPPORTED_CLASSES = frozenset(LAYER_CLASSES)
