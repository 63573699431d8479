def predict_multiclass(logits):
    return logits.argmax(dim=0)
