def accuracy(model, X, y):
    model.eval()
    predictions = model(X).argmax(dim=1)
    return (predictions == y).float().mean().item()
