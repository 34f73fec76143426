"""minilstm: an LSTM encoder-decoder from scratch in NumPy, to read, run and change."""

from minilstm import data, gradcheck
from minilstm.attention import AdditiveAttention, Attention
from minilstm.dense import Dense
from minilstm.divergence import History, TrainingDivergedError
from minilstm.layers import GRU, LSTM, SimpleRNN
from minilstm.optimizers import SGD, Adam, Optimizer, RMSprop
from minilstm.seq2seq import Seq2Seq

__all__ = [
    "GRU",
    "LSTM",
    "SGD",
    "Adam",
    "AdditiveAttention",
    "Attention",
    "Dense",
    "History",
    "Optimizer",
    "RMSprop",
    "Seq2Seq",
    "SimpleRNN",
    "TrainingDivergedError",
    "data",
    "gradcheck",
]
__version__ = "0.1.0"
